"""A unionid revealed by a later login, and the conflict it may show (rule 5 of the package).

Holds the invariant the joining rule relies on: every identity carrying a unionid belongs to
the one user that holds it, so a new identity never has two users to choose from.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from .. import signals
from ..models import IdentityConflict, WxUser

logger = logging.getLogger("django_wxlogin.identities")


def holder_of(unionid: str) -> Any:
    """The user whose identities carry ``unionid`` (rows locked), or None."""
    held = (WxUser.objects.select_for_update().select_related("user")
            .filter(unionid=unionid).order_by("pk").first())
    return held.user if held else None


def reveal_unionid(wxuser: WxUser, unionid: str | None) -> bool:
    """Record ``unionid`` on an existing identity when it is new to it; whether it did. When
    another user holds it, nothing moves: a conflict is recorded (once per pair) and
    ``identity_conflict`` is sent after the commit."""
    if not unionid or wxuser.unionid == unionid:
        return False
    holder = holder_of(unionid)
    if holder is None or holder.pk == wxuser.user_id:
        wxuser.unionid = unionid
        return True
    conflict, created = IdentityConflict.objects.get_or_create(
        wxuser=wxuser, other_user=holder, defaults={"unionid": unionid})
    if created:
        logger.warning("Users %s and %s share unionid %s: flagged, not merged",
                       wxuser.user_id, holder.pk, unionid)
        transaction.on_commit(lambda: signals.identity_conflict.send(
            sender=IdentityConflict, conflict=conflict))
    return False
