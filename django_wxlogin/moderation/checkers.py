"""Who checks nicknames and avatars, as ``CONTENT_CHECKS`` says: nobody (None), WeChat
("wechat"), or the project's own ``ContentChecker`` subclass (a dotted path), for projects that
use another moderation service. The views, the admin and the commands are the same with each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import import_string

from ..exceptions import UnknownApp, WeChatError
from ..settings import wxlogin_settings
from ..wechat import content_security

logger = logging.getLogger("django_wxlogin.moderation")

PASS, REVIEW, RISKY = "pass", "review", "risky"
UNCHECKED = "unchecked"  # the check could not run
PENDING = "pending"  # an image check whose verdict comes later, for its trace_id
VERDICTS = (PASS, REVIEW, RISKY)


@dataclass(frozen=True)
class Outcome:
    """A checker's answer: ``verdict`` is one of pass, review, risky, unchecked or pending
    (then ``trace_id`` names the check whose verdict comes later)."""

    verdict: str
    label: int | None = None
    trace_id: str = ""


class ContentChecker:
    """The interface of a checker. A custom one subclasses it and is named in
    ``CONTENT_CHECKS``; an exception it raises counts as ``unchecked``."""

    def check_text(self, wxuser: Any, text: str) -> Outcome:
        """The verdict on a nickname ``wxuser`` wants."""
        raise NotImplementedError

    def check_image(self, wxuser: Any, url: str) -> Outcome:
        """The verdict on the image at ``url`` (which works until the review window ends), or
        ``Outcome("pending", trace_id=...)``: then hand the verdict, when it comes, to
        ``django_wxlogin.moderation.reviews.apply_verdict(trace_id, verdict, label)``."""
        raise NotImplementedError


class WeChatChecker(ContentChecker):
    """WeChat's msgSecCheck v2 and mediaCheckAsync v2, scene 1 (profile), as the person."""

    def check_text(self, wxuser: Any, text: str) -> Outcome:
        try:
            suggestion = content_security.check_text(wxlogin_settings.app(wxuser.appid),
                                                     wxuser.openid, text)
        except (WeChatError, UnknownApp) as exc:
            logger.info("Nickname check could not run: %s", type(exc).__name__)
            return Outcome(UNCHECKED)
        return Outcome(suggestion.suggest, suggestion.label)

    def check_image(self, wxuser: Any, url: str) -> Outcome:
        try:
            trace_id = content_security.start_image_check(
                wxlogin_settings.app(wxuser.appid), wxuser.openid, url)
        except (WeChatError, UnknownApp) as exc:
            logger.info("Avatar check could not start: %s", type(exc).__name__)
            return Outcome(UNCHECKED)
        return Outcome(PENDING, trace_id=trace_id)


def checker() -> ContentChecker | None:
    """The configured checker, or None when checks are off."""
    configured = wxlogin_settings.CONTENT_CHECKS
    if not configured:
        return None
    if configured == "wechat":
        return WeChatChecker()
    checker_class = import_string(configured)
    return checker_class()


def ask(check: Any, *args: Any) -> Outcome:
    """``check(*args)``, with any failure or answer out of the protocol as ``unchecked``: a
    checker never makes a 5xx."""
    try:
        outcome = check(*args)
    except Exception as exc:
        logger.warning("Content checker failed: %s", type(exc).__name__)
        return Outcome(UNCHECKED)
    known = (*VERDICTS, UNCHECKED, PENDING)
    if not isinstance(outcome, Outcome) or outcome.verdict not in known or \
            (outcome.verdict == PENDING and not outcome.trace_id):
        logger.warning("Content checker answered %r", outcome)
        return Outcome(UNCHECKED)
    return outcome
