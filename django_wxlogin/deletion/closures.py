"""Closing an account: asked for (every session ends at once), cancelled by a login during the
grace period (注销冷静期) or in the admin, and erased when it is due (``wxlogin_erase``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .. import signals
from ..models import RevokeReason
from ..sessions.revocation import revoke_user
from ..settings import wxlogin_settings
from .erasure import erase_user
from .models import AccountClosure, ClosureState, PrivacyAction
from .records import record, user_subject


def grace_period() -> timedelta:
    value = wxlogin_settings.CLOSURE_GRACE_PERIOD
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def request_closure(user: Any, *, method: str) -> AccountClosure:
    """End every session of ``user`` now and schedule the erasure after the grace period (at
    once when it is 0). Asking again while one is pending keeps the first date."""
    now = timezone.now()
    with transaction.atomic():
        get_user_model()._default_manager.select_for_update().filter(pk=user.pk).first()
        closure = AccountClosure.objects.filter(user=user, state=ClosureState.PENDING).first()
        if closure is None:
            closure = AccountClosure.objects.create(
                user=user, subject=user_subject(user.pk), requested_at=now,
                erase_after=now + grace_period())
            record(PrivacyAction.CLOSURE_REQUESTED, closure.subject,
                   outcome=f"reauthenticated={method}; erase_after={closure.erase_after:%Y-%m-%d}")
        revoke_user(user.pk, RevokeReason.CLOSED)
        transaction.on_commit(lambda: signals.closure_requested.send(
            sender=type(user), user=user, closure=closure))
    if grace_period() <= timedelta(0):
        erase_user(user, outcome="closure without a grace period")
        closure.refresh_from_db()
    return closure


def cancel(user_pk: Any, *, by: str) -> bool:
    """Cancel the user's pending closure, if any (one ``UPDATE``: an erasure that started
    first wins, and then there is nothing left to cancel)."""
    closure = AccountClosure.objects.filter(user_id=user_pk, state=ClosureState.PENDING).first()
    if closure is None:
        return False
    with transaction.atomic():
        cancelled = AccountClosure.objects.filter(pk=closure.pk, state=ClosureState.PENDING) \
            .update(state=ClosureState.CANCELLED, finished_at=timezone.now())
        if not cancelled:
            return False
        record(PrivacyAction.CLOSURE_CANCELLED, closure.subject, outcome=f"by={by}")
        user_model = get_user_model()
        transaction.on_commit(lambda: signals.closure_cancelled.send(
            sender=user_model, user=closure.user, closure=closure, by=by))
    return True


def due(now: datetime | None = None) -> Any:
    """Pending closures whose grace period is over, oldest first."""
    return AccountClosure.objects.filter(state=ClosureState.PENDING,
                                         erase_after__lte=now or timezone.now()) \
        .select_related("user").order_by("erase_after")


def erase_due(closure: AccountClosure) -> bool:
    """Erase a due closure's user, unless a login cancelled it meanwhile."""
    with transaction.atomic():
        locked = AccountClosure.objects.select_for_update().filter(
            pk=closure.pk, state=ClosureState.PENDING).first()
        if locked is None or locked.user is None:
            return False
        erase_user(locked.user, outcome="closure after its grace period")
    return True
