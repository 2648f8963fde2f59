"""Accounts with a password next to WeChat identities: password login, binding, unbinding.

One token scheme for every way in: these sessions come from ``store.issue`` like WeChat logins,
with the way they were opened in ``WxSession.method``. Credentials go through Django's
``authenticate()`` (so any auth backend works, and ``user_login_failed`` fires on failure), and a
token issued for them sends ``user_logged_in``, as Django's ``login()`` does: ``last_login`` is
updated, and rate limiters such as django-axes see the success.

Binding moves WeChat identities (``WxUser`` rows, with their nickname, avatar and phone number)
between users; a WeChat-only user that loses its identities this way is deleted, so no user is
left without a way in and no row points at a user that no longer exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import bind_tickets, signals, throttling
from .databases import primary
from .exceptions import (
    AccountDisabled,
    AlreadyBound,
    InvalidCredentials,
    LastLoginMethod,
    MergeRefused,
    SessionExpired,
)
from .models import LoginMethod, RevokeReason, WxSession, WxUser
from .sessions import revocation, store
from .users import Login


def authenticate_account(request: Any, username: str, password: str) -> Any:
    """The active account these credentials open. A wrong password and an unknown username
    get the same error (Django's ModelBackend also spends the same hashing time on both), and
    count alike against ``ACCOUNT_RATE`` (see ``throttling.AccountAttempt``)."""
    attempt = throttling.AccountAttempt(request, username)
    user = authenticate(request, username=username, password=password)
    if user is None:
        attempt.failed()
        raise InvalidCredentials()
    attempt.succeeded()
    if not user.is_active:
        raise AccountDisabled()
    return user


def _locked(*pks: Any) -> list[Any]:
    """The users of these primary keys, loaded with their rows locked in primary-key order (two
    binds between the same users cannot deadlock); None for one deleted meanwhile."""
    rows = get_user_model()._default_manager.select_for_update().filter(pk__in=pks)
    found = {row.pk: row for row in rows.order_by("pk")}
    return [found.get(pk) for pk in pks]


def _still_checked(locked: Any, checked: Any) -> Any:
    """``locked`` (the account's row, now locked), if its password is still the one whose check
    let ``checked`` in; else ``InvalidCredentials``. A password change that commits while a
    login's (slow) hash check runs would otherwise never revoke that login's session: it revoked
    before the session existed. Under the lock, a change either committed (seen here) or waits
    for this login to commit (and then revokes its session)."""
    if locked is None or locked.__dict__.get("password") != checked.__dict__.get("password"):
        raise InvalidCredentials()
    return locked


def password_login(account: Any, *, appid: str, request: Any = None) -> Login:
    """Issue a token to an account whose credentials were just checked, for the mini program
    ``appid``: the same session store, lifetime and ``SINGLE_SESSION`` rule as WeChat logins."""
    with transaction.atomic():
        (locked,) = _locked(account.pk)
        account = _still_checked(locked, account)
        token, session = store.issue(account, request=request, appid=appid,
                                     method=LoginMethod.PASSWORD)
        signals.send_login(request, account, session, LoginMethod.PASSWORD)
    wxuser = WxUser.objects.using(primary(WxUser)).filter(user=account, appid=appid).first()
    return Login(token=token, session=session, wxuser=wxuser, created=False)


def is_wechat_only(user: Any) -> bool:
    """Whether ``user`` is no more than its WeChat logins, as ``CREATE_USER`` makes it: no
    usable password, no staff rights, and no session ever opened another way."""
    if user.has_usable_password() or getattr(user, "is_staff", False) \
            or getattr(user, "is_superuser", False):
        return False
    return not WxSession.objects.using(primary(WxSession)).filter(user=user).exclude(
        method=LoginMethod.WECHAT).exists()


def bind(wxuser: WxUser, account: Any, *, request: Any = None) -> Login:
    """Bind the WeChat user behind ``wxuser`` (the identity of the request's session) to
    ``account``, whose credentials were just checked, and log the account in.

    Every identity of that user moves to the account, so both ways in reach one user and the
    profiles stay; its sessions are revoked (``merged``) and kept, as a record, under the
    account; ``accounts_merged`` is sent; then the user is deleted. All in one transaction
    with both users' rows locked. Refused (409) when the account already has an identity in
    one of those mini programs, or when the user is more than a WeChat login.
    """
    with transaction.atomic():
        retired, locked = _locked(wxuser.user_id, account.pk)
        if retired is None:  # merged away by a concurrent binding
            raise SessionExpired()
        account = _still_checked(locked, account)
        if retired.pk == account.pk:
            raise AlreadyBound()
        merge_users(retired, account, request=request)
        token, session = store.issue(account, request=request, appid=wxuser.appid)
        signals.send_login(request, account, session, LoginMethod.WECHAT)
    wxuser.refresh_from_db(using=primary(WxUser))
    return Login(token=token, session=session, wxuser=wxuser, created=False)


def merge_users(retired: Any, account: Any, *, request: Any = None) -> None:
    """Move every identity and session of ``retired`` to ``account``, revoke the moved sessions
    (``merged``), send ``accounts_merged`` and delete ``retired``; both rows locked by the
    caller's transaction. Refused when ``account`` has an identity in one of the same apps
    (409 already_bound), or when ``retired`` is more than a WeChat login or rows of the project
    protect it (409 merge_refused)."""
    appids = list(WxUser.objects.select_for_update().filter(user=retired)
                  .values_list("appid", flat=True))
    identities = WxUser.objects.using(primary(WxUser))
    if identities.filter(user=account, appid__in=appids).exists():
        raise AlreadyBound()
    if not is_wechat_only(retired):
        raise MergeRefused()
    WxUser.objects.filter(user=retired).update(user=account, updated_at=timezone.now())
    revocation.revoke_user(retired.pk, RevokeReason.MERGED)
    WxSession.objects.filter(user=retired).update(user=account)
    signals.accounts_merged.send(sender=type(account), retired_user=retired, account=account,
                                 request=request)
    try:
        retired.delete()
    except (ProtectedError, RestrictedError):
        raise MergeRefused() from None


def bind_with_ticket(ticket: str, account: Any, *, request: Any = None) -> Login:
    """Give ``account`` (credentials just checked) the WeChat identity a bind ticket stands
    for, use the ticket up and log the account in. The ticket survives wrong credentials and
    an account that already has an identity in the mini program."""
    appid, identity = bind_tickets.read(ticket)
    with transaction.atomic():
        (locked,) = _locked(account.pk)
        account = _still_checked(locked, account)
        identities = WxUser.objects.using(primary(WxUser))
        if identities.filter(user=account, appid=appid).exists():
            raise AlreadyBound()  # before redeeming: the ticket may serve another account
        bind_tickets.redeem(ticket)
        if identities.filter(appid=appid, openid=identity.openid).exists():
            raise AlreadyBound(_("This WeChat user is already bound to an account: log in "
                                 "with WeChat."))
        try:
            with transaction.atomic():
                wxuser = WxUser.objects.create(
                    user=account, appid=appid, openid=identity.openid, unionid=identity.unionid,
                    session_key=identity.session_key, last_login_at=timezone.now(),
                )
        except IntegrityError:  # a concurrent binding of the same identity or account won
            raise AlreadyBound() from None
        token, session = store.issue(account, request=request, appid=appid)
        signals.send_login(request, account, session, LoginMethod.WECHAT)
    return Login(token=token, session=session, wxuser=wxuser, created=True)


def unbind(wxuser: WxUser) -> None:
    """Detach a WeChat identity from its user and revoke the WeChat sessions of that mini
    program; refused (409) when the user would be left with no way in (no usable password and
    no identity in another mini program)."""
    with transaction.atomic():
        (user,) = _locked(wxuser.user_id)
        identities = list(WxUser.objects.select_for_update().filter(user_id=wxuser.user_id))
        if user is None or not any(identity.pk == wxuser.pk for identity in identities):
            return  # unbound or merged away meanwhile
        if len(identities) == 1 and not user.has_usable_password():
            raise LastLoginMethod()
        revocation.revoke_sessions(
            WxSession.objects.live().filter(user=user, appid=wxuser.appid,
                                            method=LoginMethod.WECHAT),
            RevokeReason.UNBIND,
        )
        WxUser.objects.filter(pk=wxuser.pk).delete()
