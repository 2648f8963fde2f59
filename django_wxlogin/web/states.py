"""The ``state`` of a web login, bound to the browser that started it (login CSRF is the attack:
an attacker's callback URL opened in a victim's browser would log the victim in as the
attacker).

Starting a login sets an HttpOnly cookie holding a random binding secret and stores, under the
digest of a new random ``state``, the login's app, ``next``, delivery and the digest of that
secret, for ``WEB_STATE_TTL`` seconds. The callback is accepted only from a browser whose cookie
matches, and only once: the first callback claims the state with the code it carries. WeChat
sometimes loads the callback twice with one code; the second request (same browser, same code)
waits for the first and gets the same login: the first seals its session token (or exchange
code) for a minute under a key derived from the browser's binding secret, which the server
stores only as a digest, so the sealed copy is useless without that browser's cookie. Any
other reuse of a state is refused.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..cache import cache, key, warn_unavailable
from ..exceptions import ServiceUnavailable
from ..settings import wxlogin_settings
from .errors import InvalidState

logger = logging.getLogger("django_wxlogin.web")

BINDING_COOKIE = "wxlogin_state"
SECRET_BYTES = 32
SEAL_SECONDS = 60
WAIT_SECONDS, POLL_SECONDS = 5.0, 0.05
_TOKEN_SHAPE = 43  # len(secrets.token_urlsafe(32))


@dataclass(frozen=True)
class Login:
    """A started login: its app, where it goes after, and how it is delivered."""

    appid: str
    next: str
    exchange: bool  # True: a one-time exchange code in next's fragment; False: the cookie


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _ttl() -> int:
    value = wxlogin_settings.WEB_STATE_TTL
    return int(value.total_seconds()) if hasattr(value, "total_seconds") else int(value)


def _cache() -> Any:
    try:
        return cache()
    except Exception as exc:
        warn_unavailable(logger, "Web login state cache", exc)
        raise ServiceUnavailable() from None


def binding_of(request: Any) -> str | None:
    value = request.COOKIES.get(BINDING_COOKIE, "")
    return value if len(value) == _TOKEN_SHAPE and value.isascii() else None


def start(request: Any, login: Login) -> tuple[str, str]:
    """A new ``state`` for ``login`` in this browser, and the binding secret to set (the one
    the browser has, or a new one)."""
    binding = binding_of(request) or secrets.token_urlsafe(SECRET_BYTES)
    state = secrets.token_urlsafe(SECRET_BYTES)
    entry = [login.appid, login.next, login.exchange, _digest(binding)]
    store = _cache()
    try:
        store.set(key("webstate", _digest(state)), entry, _ttl())
    except Exception as exc:
        warn_unavailable(logger, "Web login state cache", exc)
        raise ServiceUnavailable() from None
    return state, binding


def set_binding_cookie(request: Any, response: Any, binding: str) -> None:
    response.set_cookie(BINDING_COOKIE, binding, max_age=_ttl(),
                        path=wxlogin_settings.WEB_COOKIE_PATH, secure=request.is_secure(),
                        httponly=True, samesite="Lax")


def claim(request: Any, state: str, code: str, appid: str) -> tuple[Login, bool]:
    """The login ``state`` started in this browser, and whether this request is the first to
    claim it (False: WeChat's second load of the callback with the same code). Anything else
    (unknown or expired state, another browser, another app, another code) is
    ``InvalidState``."""
    binding = binding_of(request)
    store = _cache()
    try:
        entry = store.get(key("webstate", _digest(state))) if state else None
        if not entry or binding is None or entry[3] != _digest(binding) or entry[0] != appid:
            raise InvalidState()
        first = store.add(key("webstate", "used", _digest(state)), _digest(code), _ttl())
        claimed_by = None if first else store.get(key("webstate", "used", _digest(state)))
    except InvalidState:
        raise
    except Exception as exc:
        warn_unavailable(logger, "Web login state cache", exc)
        raise ServiceUnavailable() from None
    if not first and claimed_by != _digest(code):
        raise InvalidState()
    return Login(entry[0], entry[1], entry[2]), first


def _sealing_key(binding: str, state: str) -> bytes:
    return hashlib.sha256(f"wxlogin-web-state|{binding}|{state}".encode()).digest()


def seal(request: Any, state: str, secret: str) -> None:
    """Keep the first callback's token (or exchange code) for its duplicate, sealed under the
    browser's binding secret."""
    binding = binding_of(request)
    if binding is None:
        return
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(_sealing_key(binding, state)).encrypt(nonce, secret.encode(), None)
    try:
        cache().set(key("webstate", "sealed", _digest(state)), sealed, SEAL_SECONDS)
    except Exception as exc:
        warn_unavailable(logger, "Web login state cache", exc)


def unseal(request: Any, state: str) -> str:
    """What the first callback of ``state`` delivered, waiting a little for it; ``InvalidState``
    when it failed, is gone, or this browser cannot open it."""
    binding = binding_of(request)
    deadline = time.monotonic() + WAIT_SECONDS
    sealed = None
    while binding is not None and time.monotonic() < deadline:
        try:
            sealed = cache().get(key("webstate", "sealed", _digest(state)))
        except Exception:
            break
        if sealed is not None:
            break
        time.sleep(POLL_SECONDS)
    if binding is None or not isinstance(sealed, bytes):
        raise InvalidState()
    try:
        plain = AESGCM(_sealing_key(binding, state)).decrypt(sealed[:12], sealed[12:], None)
    except InvalidTag:
        raise InvalidState() from None
    return plain.decode()
