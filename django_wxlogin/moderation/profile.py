"""The profile's side of content checks: which part of a profile change is published at once,
which waits for a verdict, and which is refused.

``PATCH profile/`` calls :func:`hold_back` before it saves (a risky nickname is a 400 before
anything is written), then ``Held.submit`` after; ``answer`` is its reply. With checks off all
three change nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.request import Request

from .. import avatars
from ..databases import primary
from ..models import WxUser
from ..settings import wxlogin_settings
from ..signals import send_content_refused
from . import checkers, media, reviews
from .models import ContentKind, ContentReview, DecidedBy
from .serializers import ProfileAnswerSerializer

logger = logging.getLogger("django_wxlogin.moderation")


class RiskyContent(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "risky_content"
    default_detail = _("This nickname did not pass the content check; choose another one.")


@dataclass
class Held:
    """What a profile change holds back for a verdict, stored by :meth:`submit`."""

    wxuser: WxUser
    request: Request
    nickname: str | None = None
    unsure: tuple[str, int | None] = ("", None)
    avatar: tuple[Any, str] | None = None
    avatar_url: str | None = None
    withdrawn: set[str] = field(default_factory=set)

    def submit(self) -> None:
        """Store what was held (after the profile's own save) and start the avatar's check."""
        if self.withdrawn:
            with transaction.atomic(using=primary(ContentReview)):
                for kind in self.withdrawn:
                    reviews.withdraw(self.wxuser, kind)
        if self.nickname is not None:
            reviews.hold(self.wxuser, ContentKind.NICKNAME, self.nickname,
                         suggest=self.unsure[0], label=self.unsure[1])
        if self.avatar is not None:
            self._hold_file(self.avatar)
        elif self.avatar_url is not None:
            review = reviews.hold(self.wxuser, ContentKind.AVATAR, "", url=self.avatar_url)
            self._check_later(review.pk, self.avatar_url)

    def _hold_file(self, reencoded: tuple[Any, str]) -> None:
        name = avatars.save(reencoded)
        try:
            review = reviews.hold(self.wxuser, ContentKind.AVATAR, name,
                                  url=self.request.build_absolute_uri(default_storage.url(name)))
        except BaseException:
            default_storage.delete(name)
            raise
        url = reverse("wxlogin:moderation-media", args=[media.sign(review.pk)])
        self._check_later(review.pk, self.request.build_absolute_uri(url))

    def _check_later(self, review_id: int, media_url: str) -> None:
        transaction.on_commit(lambda: reviews.start_image_check(review_id, media_url))


def hold_back(wxuser: WxUser, data: dict[str, Any], request: Request) -> Held:
    """Take out of the validated ``data`` what must wait for a verdict; raise
    :class:`RiskyContent` for a risky nickname. A changed field withdraws its pending one."""
    held = Held(wxuser, request)
    checker = checkers.checker()
    if checker is None:
        return held
    nickname = data.get("nickname")
    if nickname is not None:
        held.withdrawn.add(ContentKind.NICKNAME)
        if nickname and nickname != wxuser.nickname:
            _check_nickname(checker, held, data)
    if "avatar" in data or "avatar_url" in data:
        held.withdrawn.add(ContentKind.AVATAR)
        held.avatar = data.pop("avatar", None)
        if held.avatar is None and data.get("avatar_url"):
            held.avatar_url = data.pop("avatar_url")
    return held


def _check_nickname(checker: checkers.ContentChecker, held: Held, data: dict[str, Any]) -> None:
    outcome = checkers.ask(checker.check_text, held.wxuser, data["nickname"])
    if outcome.verdict == checkers.RISKY:
        send_content_refused(held.wxuser, ContentKind.NICKNAME, label=outcome.label,
                             by=DecidedBy.CHECKER)
        raise RiskyContent()
    if outcome.verdict != checkers.PASS and wxlogin_settings.CONTENT_CHECK_UNSURE != "accept":
        held.nickname = data.pop("nickname")
        held.withdrawn.discard(ContentKind.NICKNAME)  # hold() replaces it
        held.unsure = (outcome.verdict if outcome.verdict == checkers.REVIEW else "",
                       outcome.label)


def answer(wxuser: WxUser, *, reread: bool = False) -> dict[str, Any]:
    """The profile as its owner sees it: published fields and ``pending``, once the reviews
    whose window ended have had their outcome (``reread``: a verdict may have come since
    ``wxuser`` was read)."""
    if reviews.expire_overdue(wxuser) or (reread and checkers.checker() is not None):
        wxuser.refresh_from_db()
    return dict(ProfileAnswerSerializer(wxuser).data)
