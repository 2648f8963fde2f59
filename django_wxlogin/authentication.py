"""DRF authentication by ``Authorization: Bearer <token>``.

Tokens are read from that header only, never from the query string (URLs end up in logs).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from .exceptions import InvalidToken
from .models import WxSession
from .sessions import store
from .sessions.tokens import MAX_LENGTH
from .settings import DEFAULTS, wxlogin_settings


class WxTokenAuthentication(BaseAuthentication):
    """Sets ``request.user`` to the Django user and ``request.auth`` to its ``WxSession``."""

    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[Any, WxSession] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        parts = header.split()
        conf = wxlogin_settings.user_settings  # read once per request, never at import
        keyword = conf.get("AUTH_HEADER_KEYWORD", DEFAULTS["AUTH_HEADER_KEYWORD"])
        if not parts or parts[0].lower() != keyword.lower():
            return None  # no header, or another scheme: leave it to other authenticators
        if len(parts) != 2:
            raise InvalidToken(_("Malformed Authorization header: use \"Bearer <token>\"."))
        token = parts[1]
        if len(token) > MAX_LENGTH or not token.isascii():
            raise InvalidToken()
        return store.authenticate(token, conf)

    def authenticate_header(self, request: Request) -> str:
        return f'{wxlogin_settings.AUTH_HEADER_KEYWORD} realm="{self.www_authenticate_realm}"'
