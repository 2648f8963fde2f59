"""Erasing a person: their WeChat identities (openid, unionid, session_key, phone number,
nickname, avatar file), their sessions' IP addresses and user agents, their bind tickets and
throttle counters, and the Django user (anonymised or deleted, ``ERASE_USER``). The
``erasing_user`` signal goes first, inside the same transaction, so the project erases its own
rows with it; everything is revoked at once; the audit trail keeps keyed hashes only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from .. import bind_tickets, signals, throttling
from ..audit import identity_subject
from ..client_ip import network_of
from ..databases import primary
from ..models import IdentityConflict, RevokeReason, WxSession, WxUser
from ..sessions.revocation import revoke_sessions, revoke_user
from ..settings import wxlogin_settings
from .models import AccountClosure, ClosureState, PrivacyAction
from .records import record, user_subject

# Fields of a custom user model that hold personal data, blanked when it is anonymised.
PERSONAL_FIELDS = ("email", "first_name", "last_name", "name", "full_name", "nickname",
                   "phone", "phone_number", "mobile", "avatar")


@dataclass
class Plan:
    """What erasing one user removes (``--dry-run`` prints it): counts only, no values."""

    user_pk: Any
    identities: list[str] = field(default_factory=list)  # keyed hashes
    avatar_files: int = 0
    sessions: int = 0
    live_sessions: int = 0
    user: str = ""  # "anonymise" or "delete"


def plan(user: Any) -> Plan:
    alias = primary(WxUser)
    identities = list(WxUser.objects.using(alias).filter(user=user))
    sessions = WxSession.objects.using(alias).filter(user=user)
    return Plan(user_pk=user.pk,
                identities=[identity_subject(w.appid, w.openid) for w in identities],
                avatar_files=sum(1 for w in identities if w.avatar_file),
                sessions=sessions.count(), live_sessions=sessions.live().count(),
                user=str(wxlogin_settings.ERASE_USER))


def _scrub_sessions(sessions: models.QuerySet) -> set[str]:
    """Blank the sessions' IPs and user agents; the networks they were counted under."""
    ips = {ip for ip in sessions.exclude(ip_address=None).values_list("ip_address", flat=True)}
    sessions.update(ip_address=None, user_agent="")
    return {network_of(str(ip)) for ip in ips}


def _forget_admin_history(model: type[models.Model], pks: list[Any]) -> None:
    """The admin's history names objects (a nickname, an openid, a username): gone with them.
    The admin is optional: a project without it has no history to forget."""
    if not pks or not django_apps.is_installed("django.contrib.admin"):
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model),
                            object_id__in=[str(pk) for pk in pks]).delete()


def _drop_identity(wxuser: WxUser, networks: set[str], outcome: str) -> str:
    """Delete one identity row (its avatar file after the commit, by ``receivers``), record
    it, and once committed drop its bind tickets and its networks' throttle counters. Identity
    conflicts naming its unionid go too (those of the row itself cascade)."""
    subject = identity_subject(wxuser.appid, wxuser.openid)
    appid, openid = wxuser.appid, wxuser.openid
    _forget_admin_history(WxUser, [wxuser.pk])
    if wxuser.unionid:
        IdentityConflict.objects.filter(unionid=wxuser.unionid).delete()
    wxuser.delete()
    record(PrivacyAction.IDENTITY_ERASED, subject, appid=appid, outcome=outcome)

    def forget() -> None:
        bind_tickets.forget(appid, openid)
        throttling.forget(networks=networks)

    transaction.on_commit(forget)
    return subject


def _anonymise(user: Any) -> None:
    model = type(user)
    username_field = model.USERNAME_FIELD
    setattr(user, username_field, f"erased_{secrets.token_hex(12)}")
    names = {f.attname for f in model._meta.concrete_fields}
    for name in PERSONAL_FIELDS:
        if name in names and name != username_field:
            field_ = model._meta.get_field(name)
            setattr(user, name, None if field_.null else "")
    user.is_active = False
    user.last_login = None
    user.set_unusable_password()
    user.save()


def erase_user(user: Any, *, outcome: str = "closure") -> list[str]:
    """Erase one user and everything the package holds about them; the keyed hashes of the
    identities erased. One transaction: the project's ``erasing_user`` receivers first."""
    model = get_user_model()
    with transaction.atomic(using=primary(WxUser)):
        user = model._default_manager.select_for_update().get(pk=user.pk)
        identities = list(WxUser.objects.select_for_update().filter(user=user))
        signals.erasing_user.send(sender=model, user=user, identities=identities)
        revoke_user(user.pk, RevokeReason.CLOSED)
        networks = _scrub_sessions(WxSession.objects.filter(user=user))
        subjects = [_drop_identity(w, networks, outcome) for w in identities]
        user_pk = user.pk
        _forget_admin_history(model, [user_pk])
        deleted = wxlogin_settings.ERASE_USER == "delete"
        AccountClosure.objects.filter(user=user, state=ClosureState.PENDING).update(
            state=ClosureState.ERASED, finished_at=timezone.now())
        if deleted:
            user.delete()
        else:
            _anonymise(user)
        record(PrivacyAction.USER_ERASED, user_subject(user_pk),
               outcome=f"{outcome}; identities={len(subjects)}; "
                       f"user={'deleted' if deleted else 'anonymised'}")
        transaction.on_commit(lambda: throttling.forget(networks=networks, user_pk=user_pk))
        transaction.on_commit(lambda: signals.user_erased.send(
            sender=model, user_pk=user_pk, subjects=subjects, deleted=deleted))
    return subjects


def can_stay(user: Any, without: WxUser) -> bool:
    """Whether the user still has a way in once ``without`` is gone: another identity, a
    password, or staff rights (an operator's account is never erased by a push)."""
    others = WxUser.objects.filter(user=user).exclude(pk=without.pk).exists()
    return others or user.has_usable_password() or user.is_staff or user.is_superuser


def erase_identity(wxuser: WxUser, *, outcome: str) -> None:
    """Erase one WeChat identity whose person is gone from WeChat: its sessions end at once,
    and its user is erased with it unless something else still lets that user in."""
    user = wxuser.user
    if not can_stay(user, wxuser):
        erase_user(user, outcome=outcome)
        return
    with transaction.atomic(using=primary(WxUser)):
        sessions = WxSession.objects.filter(user=user, appid=wxuser.appid)
        revoke_sessions(sessions.live(), RevokeReason.CLOSED)
        _drop_identity(wxuser, _scrub_sessions(sessions), outcome)


def forget_unknown_identity(appid: str, openid: str) -> None:
    """An identity with no user yet (a pending bind ticket under ``REQUIRE_ACCOUNT``)."""
    transaction.on_commit(lambda: bind_tickets.forget(appid, openid))
