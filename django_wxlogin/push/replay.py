"""Replays and retries: a push is accepted within ``PUSH_MAX_AGE`` seconds of its timestamp,
each nonce once, and each message handled once however often WeChat retries it.

State lives in the shared cache, under digests (never a nonce or message as sent). If the
cache is down, pushes are handled without it: the signatures and timestamp window still hold,
and handlers are idempotent.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import time

from ..cache import cache, key, warn_unavailable
from ..settings import wxlogin_settings

logger = logging.getLogger("django_wxlogin.push")

PENDING, DONE = "pending", "done"
CLAIM_SECONDS = 60  # a worker that died mid-message frees it for WeChat's next retry


class Claim(enum.Enum):
    NEW = "new"  # this request handles the message
    DONE = "done"  # handled already: answer "success"
    BUSY = "busy"  # another request is handling it right now
    REPLAYED = "replayed"  # a new message under a nonce already used


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def fresh(timestamp: str) -> bool:
    """Whether the push's timestamp is within ``PUSH_MAX_AGE`` of our clock."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    return abs(time.time() - int(timestamp)) <= int(wxlogin_settings.PUSH_MAX_AGE)


def _message_key(appid: str, message_id: str) -> str:
    return key("push", "msg", _digest(appid, message_id))


def claim(appid: str, message_id: str, nonce: str, timestamp: str) -> Claim:
    """Take the message for this request, unless it was handled or its nonce was used."""
    message = _message_key(appid, message_id)
    try:
        store = cache()
        if not store.add(message, PENDING, CLAIM_SECONDS):
            return Claim.DONE if store.get(message) == DONE else Claim.BUSY
        nonce_ttl = 2 * int(wxlogin_settings.PUSH_MAX_AGE) + 1
        if not store.add(key("push", "nonce", _digest(appid, nonce, timestamp)), 1, nonce_ttl):
            store.delete(message)
            return Claim.REPLAYED
    except Exception as exc:
        warn_unavailable(logger, "Push de-duplication cache", exc)
    return Claim.NEW


def finish(appid: str, message_id: str, *, handled: bool) -> None:
    """Remember a handled message for ``PUSH_DEDUP_TTL`` seconds, or free a failed one for
    WeChat's retry."""
    message = _message_key(appid, message_id)
    try:
        if handled:
            cache().set(message, DONE, int(wxlogin_settings.PUSH_DEDUP_TTL))
        else:
            cache().delete(message)
    except Exception as exc:
        warn_unavailable(logger, "Push de-duplication cache", exc)
