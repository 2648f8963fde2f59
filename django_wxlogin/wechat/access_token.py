"""One access token per mini program, shared by every process through the cache.

WeChat's phone-number and session-key APIs need an access token; login never does, and never
fetches one. The token sits in the ``CACHE_ALIAS`` cache (encrypted, like the session_key)
until ``ACCESS_TOKEN_MARGIN`` seconds before WeChat's expiry. One process at a time refreshes it,
under a lock taken with ``cache.add``; the others poll briefly and reuse what it fetched, so an
expiry under load costs one WeChat call rather than a stampede. When WeChat calls a token
expired or replaced, it is replaced only if the cache still holds that very token (another
process may have replaced it already), and the call is retried once.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from typing import Any

from .. import crypto
from ..cache import cache, key, warn_unavailable
from ..exceptions import WeChatError, WeChatUnavailable
from ..settings import WxApp, wxlogin_settings
from .client import client

logger = logging.getLogger("django_wxlogin.access_token")

# 40001: invalid or not the latest; 40014: invalid; 42001: expired.
STALE_TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
POLL_INTERVAL = 0.05


def _cache_failed(exc: Exception) -> None:
    warn_unavailable(logger, "Access token cache", exc)


def _lock_ttl() -> int:
    """Long enough for one fetch to finish, short enough that a crashed holder is not waited
    on for long."""
    return math.ceil(wxlogin_settings.CONNECT_TIMEOUT + wxlogin_settings.READ_TIMEOUT) + 1


class AccessTokenManager:
    """The access token of one mini program; see :func:`for_app`."""

    def __init__(self, app: WxApp) -> None:
        self.app = app
        self.key = key("access_token", app.appid)
        self.lock_key = key("access_token_lock", app.appid)

    def __repr__(self) -> str:
        return f"AccessTokenManager(appid={self.app.appid!r})"

    def get(self) -> str:
        """A usable access token: the cached one, else a fresh one."""
        return self._cached() or self.refresh()

    def refresh(self, failed: str | None = None) -> str:
        """A token other than ``failed``: one another process just cached, or a new one.

        The holder of the lock re-reads the cache before it fetches, so a token is replaced
        only while it is still the one that failed.
        """
        ttl = _lock_ttl()
        give_up = time.monotonic() + 2 * ttl
        while time.monotonic() < give_up:
            owner = secrets.token_hex(8)
            locked = self._lock(owner, ttl)
            if locked is None:
                return self._fetch()  # no shared cache: fetch for this call alone
            if locked:
                try:
                    cached = self._cached()
                    if cached and cached != failed:
                        return cached
                    return self._fetch()
                finally:
                    self._unlock(owner)
            time.sleep(POLL_INTERVAL)
            cached = self._cached()
            if cached and cached != failed:
                return cached
        logger.warning("Gave up waiting for the access token of appid %s", self.app.appid)
        raise WeChatUnavailable()

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None) -> dict[str, Any]:
        """``WeChatClient.request`` with the access token; once more with a new token if
        WeChat calls this one expired or replaced."""
        token = self.get()
        try:
            return self._call(method, path, token, params, json)
        except WeChatError as exc:
            if exc.errcode not in STALE_TOKEN_ERRCODES:
                raise
            logger.info("WeChat %s refused the access token of appid %s (errcode %s)",
                        path, self.app.appid, exc.errcode)
        return self._call(method, path, self.refresh(failed=token), params, json)

    def _call(self, method: str, path: str, token: str, params: dict[str, Any] | None,
              json: Any) -> dict[str, Any]:
        return client(self.app).request(method, path, json=json,
                                        params={**(params or {}), "access_token": token})

    def _cached(self) -> str | None:
        try:
            value = cache().get(self.key)
        except Exception as exc:
            _cache_failed(exc)
            return None
        return crypto.decrypt(value) if isinstance(value, str) else None

    def _fetch(self) -> str:
        result = client(self.app).fetch_access_token(wxlogin_settings.ACCESS_TOKEN_ENDPOINT)
        lifetime = max(1, result.expires_in - int(wxlogin_settings.ACCESS_TOKEN_MARGIN))
        try:
            cache().set(self.key, crypto.encrypt(result.access_token), lifetime)
        except Exception as exc:
            _cache_failed(exc)
        logger.info("Fetched a new access token for appid %s", self.app.appid)
        return result.access_token

    def _lock(self, owner: str, ttl: int) -> bool | None:
        """True: this process refreshes; False: another one is; None: the cache is failing."""
        try:
            return bool(cache().add(self.lock_key, owner, ttl))
        except Exception as exc:
            _cache_failed(exc)
            return None

    def _unlock(self, owner: str) -> None:
        # Not atomic: at worst a lock that expired and was retaken is dropped early, which
        # costs one extra fetch, never a wrong token.
        try:
            if cache().get(self.lock_key) == owner:
                cache().delete(self.lock_key)
        except Exception as exc:
            _cache_failed(exc)


def for_app(app: WxApp | None = None) -> AccessTokenManager:
    """The manager of ``app``'s access token (by default the only configured mini program).

    Use it for your own calls too, e.g. ``for_app().request("POST", "/wxa/msg_sec_check",
    json=...)``, so that every process shares one token.
    """
    return AccessTokenManager(app or wxlogin_settings.app())
