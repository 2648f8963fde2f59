"""One WeChat exchange per login code, however often the client posts it.

A double tap or a client retry sends the same ``wx.login()`` code twice. Exchanged twice, the
second gets WeChat's 40163, and a client that treats that 400 as "logged out" throws away the
token of its own first, successful login. So the first request takes a short-lived lock in the
shared cache, keyed by a hash of the code (never the code), and records the outcome; duplicates
wait briefly for it and get the same error, or ``409 duplicate_code`` after a success (the token
went to the first request only: raw tokens are never stored). If the cache is down, requests go
through unlocked and WeChat's own one-use rule still holds.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException

from .. import exceptions
from ..cache import cache, key, warn_unavailable
from .client import Code2SessionResult, WeChatClient

logger = logging.getLogger("django_wxlogin.code_lock")
Result = TypeVar("Result")

PENDING, DONE = "pending", "done"
LOCK_SECONDS = 60  # longer than any exchange can take (connect + read timeouts)
CODE_LIFETIME = 300  # WeChat's codes live five minutes
# After "busy" or "rate limited" the code may still work: concurrent duplicates share the error,
# a retry a few seconds later gets its own exchange.
TRANSIENT_SECONDS = 3
TRANSIENT_ERRORS = (exceptions.WeChatUnavailable, exceptions.WeChatRateLimited)
WAIT_SECONDS, POLL_SECONDS = 5.0, 0.05


class DuplicateCode(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate_code"
    default_detail = _("This login code was already submitted; use the answer to the first "
                       "request.")


def _key(appid: str, code: str) -> str:
    digest = hashlib.sha256(f"{appid}:{code}".encode()).hexdigest()[:32]
    return key("code", digest)


def _outcome(state: Any) -> Any:
    """Raise what the first request got."""
    if isinstance(state, list) and len(state) == 2:
        error_class = getattr(exceptions, state[0], None)
        if isinstance(error_class, type) and issubclass(error_class, exceptions.WeChatError):
            raise error_class(errcode=state[1])
    raise DuplicateCode()


def exchange_once(client: WeChatClient, code: str) -> Code2SessionResult:
    """``client.code2session(code)``, made at most once per code across all workers."""
    return trade_once(client, code, client.code2session)


def trade_once(client: WeChatClient, code: str, trade: Callable[[str], Result]) -> Result:
    """``trade(code)`` (code2Session, or a mobile app's OAuth exchange), made at most once per
    code across all workers."""
    lock_key = _key(client.appid, code)
    try:
        store = cache()
        first = store.add(lock_key, PENDING, LOCK_SECONDS)
    except Exception as exc:
        warn_unavailable(logger, "Code lock cache (exchanging unlocked)", exc)
        return trade(code)
    if not first:
        return _wait_for_first(store, lock_key)
    try:
        identity = trade(code)
    except exceptions.WeChatError as error:
        seconds = TRANSIENT_SECONDS if isinstance(error, TRANSIENT_ERRORS) else CODE_LIFETIME
        _record(store, lock_key, [type(error).__name__, error.errcode], seconds)
        raise
    _record(store, lock_key, DONE, CODE_LIFETIME)
    return identity


def _record(store: Any, key: str, state: Any, seconds: int) -> None:
    try:
        store.set(key, state, seconds)
    except Exception as exc:
        warn_unavailable(logger, "Code lock cache", exc)


def _wait_for_first(store: Any, key: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    state: Any = PENDING
    while time.monotonic() < deadline:
        try:
            state = store.get(key, PENDING)
        except Exception:
            break
        if state != PENDING:
            break
        time.sleep(POLL_SECONDS)
    return _outcome(state)
