"""Handing a browser its session: an HttpOnly cookie, or a one-time exchange code.

Both are sessions of the mini program's kind, from ``sessions.store.issue``: the same table,
the same trust protocol and the same revocations end them. The cookie carries the raw token
(never readable by page scripts: HttpOnly; SameSite=Lax; Secure on HTTPS). An exchange code is
256 random bits that ``POST web/exchange/`` trades once, within ``EXCHANGE_CODE_TTL`` seconds
(60 at most), for the body ``POST login/`` answers; the cache holds only its SHA-256 digest.
Redeeming deletes the entry, and only the request whose delete removed it goes on. A logout
everywhere, ban or password change between issue and redemption voids the code.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.middleware.csrf import rotate_token

from .. import signals
from ..cache import cache, key, warn_unavailable
from ..exceptions import AccountDisabled, ServiceUnavailable
from ..models import LoginMethod, RevokeReason, WxSession, WxUser
from ..sessions import store
from ..settings import wxlogin_settings
from ..users import Login
from .errors import InvalidExchangeCode

logger = logging.getLogger("django_wxlogin.web")

CODE_BYTES = 32
MAX_EXCHANGE_SECONDS = 60
# Revocations of a whole account that void an exchange code issued before them.
ACCOUNT_WIDE = (RevokeReason.LOGOUT_ALL, RevokeReason.ADMIN, RevokeReason.COMMAND,
                RevokeReason.PASSWORD_CHANGED)


def _locked_user(user: Any) -> Any:
    """The user's row, locked (see ``store.issue``), fresh from the database."""
    return get_user_model()._default_manager.select_for_update().get(pk=user.pk)


def set_session_cookie(request: Any, response: Any, token: str, max_age: int) -> None:
    conf = wxlogin_settings
    response.set_cookie(conf.WEB_COOKIE_NAME, token, max_age=max_age, path=conf.WEB_COOKIE_PATH,
                        domain=conf.WEB_COOKIE_DOMAIN, secure=request.is_secure(),
                        httponly=True, samesite="Lax")


def delete_session_cookie(response: Any) -> None:
    conf = wxlogin_settings
    response.delete_cookie(conf.WEB_COOKIE_NAME, path=conf.WEB_COOKIE_PATH,
                           domain=conf.WEB_COOKIE_DOMAIN, samesite="Lax")


def log_in_browser(request: Any, response: Any, user: Any, *, appid: str,
                   surface: str) -> WxSession:
    """Issue ``user`` a session on ``surface`` and set its cookie on ``response``. Sends
    ``user_logged_in`` after the commit and rotates the CSRF token, as Django's ``login()``
    does. An inactive user gets ``AccountDisabled`` and nothing is created."""
    token, session = issue_session(user, appid=appid, surface=surface, request=request)
    set_session_cookie(request, response, token, wxlogin_settings.token_ttl_seconds)
    rotate_token(getattr(request, "_request", request))
    return session


def issue_session(user: Any, *, appid: str, surface: str, request: Any) -> tuple[str, WxSession]:
    """``store.issue`` under the user's row lock, with the login signals."""
    with transaction.atomic():
        locked = _locked_user(user)
        token, session = store.issue(locked, request=request, appid=appid, surface=surface)
        signals.send_login(request, locked, session, LoginMethod.WECHAT)
    return token, session


def _code_key(code: str) -> str:
    return key("exchange", hashlib.sha256(code.encode("utf-8")).hexdigest())


def issue_exchange_code(user: Any, *, appid: str, surface: str, request: Any) -> str:
    """A code that ``POST web/exchange/`` trades once for a session of ``user`` on ``surface``.
    Needs the cache: ``503 service_unavailable`` without it."""
    if not user.is_active:
        raise AccountDisabled()
    code = secrets.token_urlsafe(CODE_BYTES)
    ttl = min(int(wxlogin_settings.EXCHANGE_CODE_TTL), MAX_EXCHANGE_SECONDS)
    try:
        cache().set(_code_key(code), [user.pk, appid, surface, time.time()], ttl)
    except Exception as exc:
        warn_unavailable(logger, "Exchange code cache", exc)
        raise ServiceUnavailable() from None
    return code


def redeem_exchange_code(code: str, request: Any) -> Login:
    """The login an exchange code stands for, issued now; the code is spent whatever happens."""
    try:
        store_ = cache()
        entry = store_.get(_code_key(code))
        won = bool(entry) and bool(store_.delete(_code_key(code)))
    except Exception as exc:
        warn_unavailable(logger, "Exchange code cache", exc)
        raise ServiceUnavailable() from None
    if not won:
        raise InvalidExchangeCode()
    user_pk, appid, surface, issued = entry
    issued_at = datetime.fromtimestamp(issued, tz=dt_timezone.utc)
    if WxSession.objects.filter(user_id=user_pk, revoked_at__gte=issued_at,
                                revoke_reason__in=ACCOUNT_WIDE).exists():
        raise InvalidExchangeCode()
    user = get_user_model()._default_manager.filter(pk=user_pk).first()
    if user is None:
        raise InvalidExchangeCode()
    token, session = issue_session(user, appid=appid, surface=surface, request=request)
    wxuser = WxUser.objects.filter(user_id=user_pk, appid=appid).first()
    return Login(token=token, session=session, wxuser=wxuser, created=False)
