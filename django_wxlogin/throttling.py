"""Per-client-IP rate limits for the endpoints that cost a WeChat call or check a password
(see ``client_ip``)."""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.throttling import SimpleRateThrottle

from .cache import cache, key, warn_unavailable
from .client_ip import client_ip
from .settings import wxlogin_settings

logger = logging.getLogger("django_wxlogin.throttling")


class WxRateThrottle(SimpleRateThrottle):
    """A scoped throttle whose rate is the ``WXLOGIN`` setting named by ``rate_setting``,
    counted in the session cache, and that lets requests through while that cache is down."""

    rate_setting = ""

    @property
    def cache(self) -> Any:  # type: ignore[override]
        return cache()

    def get_rate(self) -> str | None:
        return wxlogin_settings.get(self.rate_setting)

    def get_cache_key(self, request: Any, view: Any) -> str:
        ident = client_ip(request) or "unknown"
        return key("throttle", self.scope, ident)

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the cache is down: availability wins over the limit
            warn_unavailable(logger, "Throttle cache (not throttling)", exc)
            return True


class LoginRateThrottle(WxRateThrottle):
    scope = "wxlogin_login"
    rate_setting = "LOGIN_RATE"


class PasswordRateThrottle(WxRateThrottle):
    """Password guesses (``login/password/``, ``bind/``): counted apart from WeChat logins, so
    neither eats the other's allowance, at the same ``LOGIN_RATE``."""

    scope = "wxlogin_password"
    rate_setting = "LOGIN_RATE"


class PhoneRateThrottle(WxRateThrottle):
    scope = "wxlogin_phone"
    rate_setting = "PHONE_RATE"
