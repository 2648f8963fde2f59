"""Bind tickets: what a first WeChat login hands out under ``REQUIRE_ACCOUNT`` instead of
creating a user, so that ``bind/`` can attach that WeChat identity to an existing account.

WeChat vouched for the identity at ``login/`` (code2Session); the ticket carries that proof to
``bind/`` without a second ``wx.login``. It is 256 random bits, shown once. The shared cache
holds it only as the SHA-256 digest in its key, next to the identity (the session_key encrypted
as in the database), for ``BIND_TICKET_TTL`` seconds. Redeeming deletes the entry and only the
request whose delete removed it may go on, so a ticket works once across all workers. Without
the cache no ticket can be issued or redeemed: ``503 service_unavailable``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any

from . import crypto
from .cache import cache, key, warn_unavailable
from .exceptions import AccountRequired, InvalidBindTicket, ServiceUnavailable
from .settings import wxlogin_settings
from .wechat.client import Code2SessionResult

logger = logging.getLogger("django_wxlogin.bind_tickets")

TICKET_BYTES = 32


def _key(ticket: str) -> str:
    digest = hashlib.sha256(ticket.encode("utf-8")).hexdigest()
    return key("bind", digest)


def _unavailable(exc: Exception) -> ServiceUnavailable:
    warn_unavailable(logger, "Bind ticket cache", exc)
    return ServiceUnavailable()


def account_required(identity: Code2SessionResult, appid: str) -> AccountRequired:
    """The ``403 account_required`` of a first login, carrying a new ticket for ``identity``."""
    ticket = secrets.token_urlsafe(TICKET_BYTES)
    ttl = wxlogin_settings.bind_ticket_ttl_seconds
    entry = [appid, identity.openid, identity.unionid, crypto.encrypt(identity.session_key)]
    try:
        cache().set(_key(ticket), entry, ttl)
    except Exception as exc:
        raise _unavailable(exc) from None
    return AccountRequired(ticket, ttl)


def read(ticket: str) -> tuple[str, Code2SessionResult]:
    """The appid and WeChat identity a live ticket stands for; the ticket stays valid."""
    try:
        entry: Any = cache().get(_key(ticket))
    except Exception as exc:
        raise _unavailable(exc) from None
    if not entry:
        raise InvalidBindTicket()
    appid, openid, unionid, sealed = entry
    return appid, Code2SessionResult(openid=openid, unionid=unionid,
                                     session_key=crypto.decrypt(sealed) or "")


def redeem(ticket: str) -> None:
    """Use the ticket up; ``InvalidBindTicket`` if another request used it first."""
    try:
        taken = cache().delete(_key(ticket))
    except Exception as exc:
        raise _unavailable(exc) from None
    if not taken:
        raise InvalidBindTicket()


def forget(appid: str, openid: str) -> int:
    """Delete the live tickets of one WeChat identity (an erasure); how many. Walks the
    tickets' keys (few: each lives ``BIND_TICKET_TTL``) on a django-redis cache; a cache that
    cannot be walked keeps them until they expire."""
    try:
        store: Any = cache()
        names = list(store.iter_keys(key("bind", "*"))) if hasattr(store, "iter_keys") else []
        doomed = [name for name, entry in store.get_many(names).items()
                  if isinstance(entry, list) and entry[:2] == [appid, openid]]
        if doomed:
            store.delete_many(doomed)
        return len(doomed)
    except Exception as exc:
        warn_unavailable(logger, "Bind ticket cache", exc)
        return 0
