"""DRF authentication by the session cookie that web login sets.

CSRF is enforced on unsafe methods exactly as DRF's ``SessionAuthentication`` does (Django's
``CsrfViewMiddleware`` check): a cookie rides along with every cross-site request, a bearer
token does not.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from ..exceptions import InvalidToken
from ..models import WxSession
from ..sessions import store
from ..sessions.tokens import MAX_LENGTH
from ..settings import DEFAULTS, wxlogin_settings


def cookie_token(request: Any) -> str | None:
    """The session cookie's token, or None when there is no cookie; ``InvalidToken`` for one
    that cannot be a token."""
    conf = wxlogin_settings.user_settings
    token = request.COOKIES.get(conf.get("WEB_COOKIE_NAME", DEFAULTS["WEB_COOKIE_NAME"]))
    if not token:
        return None
    if len(token) > MAX_LENGTH or not token.isascii():
        raise InvalidToken()
    return str(token)


class WxCookieAuthentication(SessionAuthentication):
    """Sets ``request.user`` to the cookie's user and ``request.auth`` to its ``WxSession``."""

    def authenticate(self, request: Request) -> tuple[Any, WxSession] | None:
        token = cookie_token(request)
        if token is None:
            return None
        user, session = store.authenticate(token)
        self.enforce_csrf(request)
        return user, session

    def authenticate_header(self, request: Request) -> str:
        """A 401, not DRF's 403, when the cookie is missing (as for a missing token)."""
        return 'Cookie realm="web"'
