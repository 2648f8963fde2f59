"""Issuing, checking and revoking sessions: the database is the truth, the cache the hot path.

For a user ``U`` and a token digest ``D`` the cache holds three entries::

    <prefix>:n:U   [nonce, redis run_id]     the user's cache generation
    <prefix>:u:U   [nonce, user]             the Django user as last loaded
    <prefix>:s:D   [nonce, id, created, expires, last_seen, appid]

A warm request reads all three in one round trip and trusts them only when their nonces agree
and ``n`` was written under the Redis run_id this process sees now. Revoking a session, or saving
or deleting its user, deletes ``n`` after the database commits, which voids every entry of that
user at once; a refill fixes ``n`` *before* it reads the database, so a revocation that lands
during a refill always wins. A stale entry that outlives a failed delete or comes back with an
older Redis snapshot is therefore never trusted again. Any cache failure falls back to the
database.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.core.cache import BaseCache, caches
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed

from . import server_identity
from .batches import pk_batches
from .client_ip import client_ip
from .exceptions import InvalidToken, SessionExpired
from .models import LoginMethod, RevokeReason, WxSession
from .settings import wxlogin_settings
from .tokens import make_token, token_digest, user_reference

logger = logging.getLogger("django_wxlogin.store")

USER_AGENT_MAX = 256
_pending_deletes: set[str] = set()
_last_warning = [0.0]


class UserInactive(AuthenticationFailed):
    default_code = "user_inactive"
    default_detail = _("This account is disabled.")


def cache() -> BaseCache:
    return caches[wxlogin_settings.CACHE_ALIAS]


def _key(kind: str, ref: object) -> str:
    return f"{wxlogin_settings.CACHE_KEY_PREFIX}:{kind}:{ref}"


def _warn(action: str, exc: Exception) -> None:
    """Log a cache failure, at most once every ten seconds per process."""
    now = time.monotonic()
    if now - _last_warning[0] >= 10:
        _last_warning[0] = now
        logger.warning("Session cache unavailable during %s (%s); using the database",
                       action, type(exc).__name__)


def _new_nonce() -> str:
    return secrets.token_urlsafe(9)


def _ts(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def _dt(ts: int) -> datetime | None:
    return datetime.fromtimestamp(ts, tz=dt_timezone.utc) if ts else None


def _entry(nonce: str, row: WxSession) -> list[Any]:
    return [nonce, row.pk, _ts(row.created_at), _ts(row.expires_at), _ts(row.last_seen_at),
            row.appid]


def _remaining(row: WxSession) -> int:
    return max(1, int((row.expires_at - timezone.now()).total_seconds()))


def _delete(store: BaseCache, keys: Iterable[str]) -> None:
    """Delete keys now, or remember them and retry before this process's next cache read."""
    keys = set(keys) | _pending_deletes
    try:
        store.delete_many(list(keys))
    except Exception as exc:
        _pending_deletes.update(keys)
        _warn("a revocation", exc)
    else:
        _pending_deletes.difference_update(keys)


def _read(store: BaseCache, keys: list[str]) -> tuple[dict[str, Any] | None, str]:
    """The cached entries and the Redis run_id, or (None, "") when the cache is down."""
    try:
        if _pending_deletes:
            _delete(store, ())
            if _pending_deletes:
                return None, ""
        return store.get_many(keys), server_identity.run_id(store)
    except Exception as exc:
        _warn("a session lookup", exc)
        return None, ""


def _check_times(expires: int, last_seen: int, now: float) -> None:
    if now >= expires:
        raise SessionExpired()
    idle = wxlogin_settings.idle_timeout_seconds
    if idle and last_seen and now - last_seen >= idle:
        raise SessionExpired()


def _session(entry: list[Any], user: Any, digest: str) -> WxSession:
    _, pk, created, expires, last_seen, appid = entry
    session = WxSession(id=pk, user=user, digest=digest, appid=appid, created_at=_dt(created),
                        expires_at=_dt(expires), last_seen_at=_dt(last_seen))
    session._state.adding = False
    return session


def _touch(store: BaseCache | None, key: str, nonce: str | None, session: WxSession) -> None:
    """Record "last seen" at most once per ``LAST_SEEN_INTERVAL`` (no write per request)."""
    now = timezone.now()
    seen = session.last_seen_at
    if seen and (now - seen).total_seconds() < wxlogin_settings.LAST_SEEN_INTERVAL:
        return
    WxSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    session.last_seen_at = now
    if store is not None and nonce is not None:
        try:
            store.set(key, _entry(nonce, session), _remaining(session))
        except Exception as exc:
            _warn("a last-seen update", exc)


def authenticate(token: str) -> tuple[Any, WxSession]:
    """The (user, session) a token belongs to, or an ``AuthenticationFailed`` subclass."""
    user_ref = user_reference(token)
    if user_ref is None:
        raise InvalidToken()
    digest = token_digest(token)
    skey, nkey, ukey = _key("s", digest), _key("n", user_ref), _key("u", user_ref)
    store = cache()
    found, run_id = _read(store, [skey, nkey, ukey])
    if found is not None:
        entry, gen, cached_user = found.get(skey), found.get(nkey), found.get(ukey)
        if entry and gen and cached_user and entry[0] == gen[0] == cached_user[0] \
                and gen[1] == run_id:
            _check_times(entry[3], entry[4], time.time())
            session = _session(entry, cached_user[1], digest)
            _touch(store, skey, entry[0], session)
            return session.user, session
        return _from_database(digest, user_ref, store, gen, run_id)
    return _from_database(digest, user_ref, None, None, "")


def _generation(store: BaseCache, nkey: str, gen: list[Any] | None, run_id: str) -> str | None:
    """The user's current nonce, made first if need be; None if the cache is failing."""
    try:
        if gen and gen[1] == run_id:
            return gen[0]
        nonce = _new_nonce()
        if gen is None and not store.add(nkey, [nonce, run_id], wxlogin_settings.token_ttl_seconds):
            gen = store.get(nkey)
            if gen and gen[1] == run_id:
                return gen[0]
        store.set(nkey, [nonce, run_id], wxlogin_settings.token_ttl_seconds)
        return nonce
    except Exception as exc:
        _warn("a session refill", exc)
        return None


def _from_database(digest: str, user_ref: str, store: BaseCache | None,
                   gen: list[Any] | None, run_id: str) -> tuple[Any, WxSession]:
    nkey = _key("n", user_ref)
    nonce = _generation(store, nkey, gen, run_id) if store is not None else None
    row = WxSession.objects.select_related("user").filter(digest=digest).first()
    if row is None or str(row.user_id) != user_ref:
        raise InvalidToken()
    if row.revoked_at is not None:
        raise SessionExpired()
    _check_times(_ts(row.expires_at), _ts(row.last_seen_at), time.time())
    if not row.user.is_active:
        raise UserInactive()
    skey = _key("s", digest)
    if nonce is not None:
        try:
            store.set_many({skey: _entry(nonce, row), _key("u", user_ref): [nonce, row.user]},
                           _remaining(row))
        except Exception as exc:
            _warn("a session refill", exc)
            nonce = None
    _touch(store, skey, nonce, row)
    return row.user, row


def _client_details(request: Any) -> tuple[str, str | None]:
    if request is None:
        return "", None
    return request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX], client_ip(request)


def issue(user: Any, *, request: Any = None, appid: str = "",
          method: str = LoginMethod.WECHAT) -> tuple[str, WxSession]:
    """Create a session for ``user``, opened by ``method`` (a ``LoginMethod``); the raw token
    is returned here and nowhere else.

    Call it inside ``transaction.atomic()`` with the user's row locked (``select_for_update``),
    so that concurrent logins under ``SINGLE_SESSION`` leave exactly one live session.
    """
    stale: list[str] = []
    if wxlogin_settings.SINGLE_SESSION:
        stale = _revoke_rows(WxSession.objects.live().filter(user=user),
                             RevokeReason.SINGLE_SESSION)
    now = timezone.now()
    token = make_token(user.pk)
    agent, ip = _client_details(request)
    row = WxSession.objects.create(
        user=user, digest=token_digest(token), appid=appid, method=method, created_at=now,
        expires_at=now + timedelta(seconds=wxlogin_settings.token_ttl_seconds),
        last_seen_at=now, user_agent=agent, ip_address=ip,
    )
    transaction.on_commit(lambda: _cache_issued(row, stale))
    return token, row


def _cache_issued(row: WxSession, stale: list[str]) -> None:
    """One pipelined write: a new generation for the user, the user and the session."""
    store = cache()
    try:
        nonce = _new_nonce()
        store.set_many({
            _key("n", row.user_id): [nonce, server_identity.run_id(store)],
            _key("u", row.user_id): [nonce, row.user],
            _key("s", row.digest): _entry(nonce, row),
        }, wxlogin_settings.token_ttl_seconds)
    except Exception as exc:
        _warn("a login", exc)
        _delete(store, [_key("n", row.user_id)])
    if stale:
        _delete(store, [_key("s", d) for d in stale])


def _revoke_rows(queryset: Any, reason: str) -> list[str]:
    """Mark the queryset's live sessions revoked; their digests, for the cache to forget."""
    rows = list(queryset.filter(revoked_at__isnull=True).values_list("pk", "user_id", "digest"))
    if not rows:
        return []
    WxSession.objects.filter(pk__in=[pk for pk, _, _ in rows], revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason
    )
    keys = [_key("s", d) for _, _, d in rows] + [_key("n", u) for u in {u for _, u, _ in rows}]
    transaction.on_commit(lambda: _delete(cache(), keys))
    return [d for _, _, d in rows]


def revoke(session: WxSession, reason: str) -> bool:
    """Revoke one session in the database and the cache; False if it was already dead."""
    return bool(_revoke_rows(WxSession.objects.filter(pk=session.pk), reason))


def revoke_user(user_pk: object, reason: str) -> int:
    """Revoke every live session of one user; how many there were."""
    return len(_revoke_rows(WxSession.objects.live().filter(user_id=user_pk), reason))


def revoke_sessions(queryset: Any, reason: str) -> int:
    """Revoke the sessions of a queryset (the admin and commands batch large ones)."""
    return len(_revoke_rows(queryset, reason))


def revoke_batched(queryset: Any, reason: str, *, batch_size: int = 5000,
                   progress: Callable[[int], object] | None = None) -> int:
    """Revoke the sessions of a queryset of any size; how many it revoked.

    One short transaction per ``batch_size`` sessions keeps memory bounded and row locks
    brief, and clears each batch from the cache as soon as it commits. ``progress`` is called
    with each batch's count.
    """
    total = 0
    for pks in pk_batches(queryset.filter(revoked_at__isnull=True), batch_size):
        with transaction.atomic():
            count = revoke_sessions(WxSession.objects.filter(pk__in=pks), reason)
        total += count
        if progress is not None:
            progress(count)
    return total


def forget_user(user_pk: object) -> None:
    """Void the user's cache entries once the transaction commits (the user was saved or
    deleted), so ``is_active`` and deletions take effect on the next request."""
    keys = [_key("n", user_pk), _key("u", user_pk)]
    transaction.on_commit(lambda: _delete(cache(), keys))
