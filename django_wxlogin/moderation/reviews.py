"""Pending content and its verdicts: holding a nickname or avatar back, publishing it on
``pass``, deleting it on ``risky``, and what a review that never gets a verdict becomes.

Every decision locks the review's row and changes only a pending one, so a verdict that
arrives twice (WeChat retries, a replay, an operator and WeChat at once) acts once. An approved
or replaced review's row is deleted; refused and expired ones stay for the admin, without the
refused content (a nickname's text is erased, an avatar's file deleted).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import avatars
from ..cache import cache, key, warn_unavailable
from ..databases import primary
from ..models import WxUser
from ..settings import wxlogin_settings
from ..signals import send_content_refused
from . import checkers
from .models import ContentKind, ContentReview, DecidedBy, ReviewStatus

logger = logging.getLogger("django_wxlogin.moderation")


def _reviews() -> Any:
    return ContentReview.objects.using(primary(ContentReview))


def withdraw(wxuser: WxUser, kind: str) -> None:
    """Drop ``wxuser``'s pending ``kind``, replaced by a newer change (in the caller's
    transaction, the identity locked)."""
    # A held avatar's file goes with its row (receivers.py), after the commit.
    _reviews().filter(wxuser=wxuser, kind=kind, status=ReviewStatus.PENDING).delete()


def hold(wxuser: WxUser, kind: str, value: str, url: str = "", *, suggest: str = "",
         label: int | None = None) -> ContentReview:
    """A pending review of ``value``, replacing any pending one of the same kind (``suggest``
    and ``label``: the checker's unsure verdict, if it gave one)."""
    window = timedelta(seconds=wxlogin_settings.avatar_review_timeout_seconds)
    with transaction.atomic(using=primary(ContentReview)):
        WxUser.objects.using(primary(WxUser)).select_for_update().filter(pk=wxuser.pk).first()
        withdraw(wxuser, kind)
        return _reviews().create(
            wxuser=wxuser, kind=kind, value=value, url=url, suggest=suggest, label=label,
            expires_at=timezone.now() + window if kind == ContentKind.AVATAR else None)


def decide(review_id: int, verdict: str, *, by: str, label: int | None = None) -> bool:
    """Apply ``verdict`` ("pass", "risky", or "review"/"unchecked", which follow
    ``CONTENT_CHECK_UNSURE``) to a pending review; False when it is no longer pending or the
    verdict leaves it pending."""
    if verdict not in checkers.VERDICTS and verdict != checkers.UNCHECKED:
        raise ValueError(verdict)
    if verdict in (checkers.REVIEW, checkers.UNCHECKED):
        if by == DecidedBy.CHECKER and wxlogin_settings.CONTENT_CHECK_UNSURE != "accept":
            _note(review_id, verdict, label)
            return False  # held for an operator, or the window's end
        verdict = checkers.PASS
    with transaction.atomic(using=primary(ContentReview)):
        review = _reviews().select_for_update().filter(
            pk=review_id, status=ReviewStatus.PENDING).select_related("wxuser").first()
        if review is None:
            return False
        if verdict == checkers.PASS:
            _publish(review)
        else:
            _refuse(review, ReviewStatus.REFUSED, by, label)
    return True


def _note(review_id: int, verdict: str, label: int | None) -> None:
    """Keep WeChat's unsure verdict on a pending review, for the operator who decides."""
    if verdict == checkers.REVIEW:
        _reviews().filter(pk=review_id, status=ReviewStatus.PENDING).update(
            suggest=verdict, label=label)


def _publish(review: ContentReview) -> None:
    wxuser = WxUser.objects.using(primary(WxUser)).select_for_update().get(pk=review.wxuser_id)
    if review.kind == ContentKind.NICKNAME:
        wxuser.nickname = review.value
        wxuser.save(update_fields=["nickname", "updated_at"])
    else:
        previous = wxuser.avatar_file
        wxuser.avatar_file, wxuser.avatar_url = review.value, review.url
        wxuser.save(update_fields=["avatar_file", "avatar_url", "updated_at"])
        if previous != review.value:
            avatars.delete_later(previous)
    review.value = ""  # published: the file is the profile's now, not the deleted row's
    review.delete()


def _refuse(review: ContentReview, status: str, by: str, label: int | None) -> None:
    """Refused or expired: the content is gone, the row says what happened."""
    if review.kind == ContentKind.AVATAR:
        avatars.delete_later(review.value)
    review.value, review.url, review.status = "", "", status
    review.decided_by, review.decided_at = by, timezone.now()
    if label is not None:
        review.label = label
    if by == DecidedBy.CHECKER:
        review.suggest = checkers.RISKY
    review.save()
    if status == ReviewStatus.REFUSED:
        send_content_refused(review.wxuser, review.kind, label=review.label, by=by)


def start_image_check(review_id: int, media_url: str) -> None:
    """Ask the checker about a held avatar (after the commit that stored it): a verdict at
    once is applied, a pending one waits for ``apply_verdict``, a check that cannot start
    follows ``CONTENT_CHECK_UNSURE``."""
    checker = checkers.checker()
    review = _reviews().filter(pk=review_id).select_related("wxuser").first()
    if checker is None or review is None:
        return
    outcome = checkers.ask(checker.check_image, review.wxuser, media_url)
    if outcome.verdict != checkers.PENDING:
        decide(review_id, outcome.verdict, by=DecidedBy.CHECKER, label=outcome.label)
        return
    _reviews().filter(pk=review_id).update(trace_id=outcome.trace_id)
    early = _early_verdict(outcome.trace_id)  # pushed before the trace_id was saved
    if early is not None:
        decide(review_id, early[0], by=DecidedBy.CHECKER, label=early[1])


def apply_verdict(trace_id: str, verdict: str, label: int | None = None, *,
                  appid: str | None = None) -> bool:
    """The verdict pushed for ``trace_id`` (by WeChat, or a custom checker); ``appid``, when
    given, must be the review's mini program. A verdict for a review not pending changes
    nothing. One that arrives before its trace_id was saved is kept for that moment."""
    if not trace_id or verdict not in checkers.VERDICTS:
        return False
    _remember_early(trace_id, verdict, label)
    reviews = _reviews().filter(trace_id=trace_id, status=ReviewStatus.PENDING)
    if appid is not None:
        reviews = reviews.filter(wxuser__appid=appid)
    review_id = reviews.values_list("pk", flat=True).first()
    if review_id is None:
        return False
    return decide(review_id, verdict, by=DecidedBy.CHECKER, label=label)


def _remember_early(trace_id: str, verdict: str, label: int | None) -> None:
    try:
        cache().set(key("review_verdict", trace_id), [verdict, label],
                    wxlogin_settings.avatar_review_timeout_seconds or 1)
    except Exception as exc:
        warn_unavailable(logger, "Verdict cache", exc)


def _early_verdict(trace_id: str) -> tuple[str, int | None] | None:
    try:
        found = cache().get(key("review_verdict", trace_id))
    except Exception as exc:
        warn_unavailable(logger, "Verdict cache", exc)
        return None
    return (found[0], found[1]) if isinstance(found, list) and len(found) == 2 else None


def expire_overdue(wxuser: WxUser | None = None) -> int:
    """Apply ``AVATAR_REVIEW_EXPIRED`` to the avatars whose window ended without a verdict
    (only ``wxuser``'s, when given); how many."""
    overdue = _reviews().filter(status=ReviewStatus.PENDING, expires_at__lte=timezone.now())
    if wxuser is not None:
        overdue = overdue.filter(wxuser=wxuser)
    count = 0
    for review_id in list(overdue.values_list("pk", flat=True)[:1000]):
        with transaction.atomic(using=primary(ContentReview)):
            review = _reviews().select_for_update().filter(
                pk=review_id, status=ReviewStatus.PENDING).select_related("wxuser").first()
            if review is None:
                continue
            if wxlogin_settings.AVATAR_REVIEW_EXPIRED == "publish":
                _publish(review)
            else:
                _refuse(review, ReviewStatus.EXPIRED, DecidedBy.TIMEOUT, None)
            count += 1
    return count


def pending_for(wxuser: WxUser) -> dict[str, Any]:
    """What of ``wxuser``'s profile waits for a verdict, for its owner only: the nickname's
    text (or None) and whether an avatar does."""
    pending = dict(_reviews().filter(wxuser=wxuser, status=ReviewStatus.PENDING)
                   .values_list("kind", "value"))
    return {"nickname": pending.get(ContentKind.NICKNAME),
            "avatar": ContentKind.AVATAR in pending}
