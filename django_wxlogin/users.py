"""Finding, or creating, the Django user behind a WeChat identity."""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from . import bind_tickets
from .identities.conflicts import reveal_unionid
from .models import WxSession, WxUser
from .sessions import store
from .settings import wxlogin_settings
from .wechat.client import Code2SessionResult


def create_user(identity: Code2SessionResult, appid: str) -> Any:
    """The default ``CREATE_USER``: a user named ``wx_<hash of appid and openid>`` with an
    unusable password. Works with any custom user model whose other fields have defaults;
    point ``CREATE_USER`` at your own callable otherwise."""
    model = get_user_model()
    name = "wx_" + hashlib.sha256(f"{appid}:{identity.openid}".encode()).hexdigest()[:24]
    user = model(**{model.USERNAME_FIELD: name})
    user.set_unusable_password()
    user.save()
    return user


@dataclass
class Login:
    """A token just issued. ``wxuser`` is the user's identity in the session's mini program
    (None after a password login of an account without one); ``created`` is True when this
    login made that identity."""

    token: str
    session: WxSession
    wxuser: WxUser | None
    created: bool  # a new WeChat identity (in this mini program)
    user_created: bool = False  # ... and a new Django user for it


def _locked_identity(appid: str, openid: str) -> WxUser | None:
    # Locks the WxUser row and its user row: logins of one user are serialized.
    return (WxUser.objects.select_for_update().select_related("user")
            .filter(appid=appid, openid=openid).first())


def _user_of_unionid(unionid: str | None, appid: str) -> Any:
    """The user another mini program already knows under ``unionid`` (one without an identity
    in ``appid`` yet), so that one person is one Django user across mini programs. Its rows
    are locked, as in ``_locked_identity``."""
    if not unionid:
        return None
    linked = (WxUser.objects.select_for_update().select_related("user")
              .filter(unionid=unionid).exclude(user__wechat_identities__appid=appid)
              .order_by("pk").first())
    return linked.user if linked else None


DEADLOCK_ATTEMPTS = 5  # one first login among many racing ones can lose more than once


def _is_deadlock(exc: OperationalError) -> bool:
    """MySQL's and MariaDB's error 1213, PostgreSQL's SQLSTATE 40P01: the database chose this
    transaction as a deadlock's victim and rolled it back, so running it again is safe."""
    return (bool(exc.args) and exc.args[0] == 1213) or \
        getattr(exc.__cause__, "sqlstate", None) == "40P01"


def login(identity: Code2SessionResult, *, appid: str, request: Any = None) -> Login:
    """``_login_once``, run again when it lost a deadlock, as it may when several first logins
    of one user race on MySQL or MariaDB (unless a transaction of the caller's encloses it:
    then that whole transaction is what must run again). The losers wait a random moment
    first, so that they don't meet again at once."""
    attempt = 1
    while True:
        try:
            return _login_once(identity, appid=appid, request=request)
        except OperationalError as exc:
            if (attempt == DEADLOCK_ATTEMPTS or not _is_deadlock(exc)
                    or transaction.get_connection().in_atomic_block):
                raise
        time.sleep(random.uniform(0, 0.02 * attempt))  # noqa: S311 (jitter, not a secret)
        attempt += 1


def _login_once(identity: Code2SessionResult, *, appid: str, request: Any = None) -> Login:
    """Record a successful code2Session and issue a token, all in one transaction.

    A first login in one mini program joins the user of another that shares the unionid.
    Otherwise it creates a user, or under ``REQUIRE_ACCOUNT`` answers ``AccountRequired`` with
    a bind ticket and creates nothing. Concurrent first logins of one openid end with one
    user: the loser's insert fails on the unique constraint, its savepoint rolls back, and it
    continues with the winner's row.
    """
    now = timezone.now()
    with transaction.atomic():
        wxuser = _locked_identity(appid, identity.openid)
        created = user_created = False
        if wxuser is None:
            try:
                with transaction.atomic():
                    user = _user_of_unionid(identity.unionid, appid)
                    if user is None:
                        if wxlogin_settings.REQUIRE_ACCOUNT:
                            raise bind_tickets.account_required(identity, appid)
                        user = import_string(wxlogin_settings.CREATE_USER)(identity, appid)
                        user_created = True
                    wxuser = WxUser.objects.create(
                        user=user, appid=appid, openid=identity.openid,
                        unionid=identity.unionid, session_key=identity.session_key,
                        last_login_at=now,
                    )
                    created = True
            except IntegrityError:
                user_created = False
                wxuser = _locked_identity(appid, identity.openid)
                if wxuser is None:
                    raise
        if not created:
            wxuser.session_key = identity.session_key
            wxuser.last_login_at = now
            fields = ["session_key", "last_login_at", "updated_at"]
            if reveal_unionid(wxuser, identity.unionid):  # or flags two users as one person
                fields.append("unionid")
            wxuser.save(update_fields=fields)
        token, session = store.issue(wxuser.user, request=request, appid=appid)
    return Login(token=token, session=session, wxuser=wxuser, created=created,
                 user_created=user_created)
