"""Issuing, checking and revoking sessions: the database is the truth, the cache the hot path.

For a user ``U`` and a token digest ``D`` the cache holds three entries, each value starting
with a 12-byte nonce::

    <prefix>:n:U   nonce, redis run_id                       the user's cache generation
    <prefix>:u:U   nonce, the user's fields (pickled)        the Django user as last loaded
    <prefix>:s:D   nonce, id, created, expires, last_seen (packed), appid

A warm request reads all three in one round trip and trusts them only when their nonces agree
and ``n`` was written under the Redis run_id this process sees now. Revoking a session, or saving
or deleting its user, deletes ``n`` after the database commits (a login that revokes replaces it
with a new generation in the write that stores the new session), which voids every entry of that
user at once; a refill fixes ``n`` *before* it reads the database, so a revocation that lands
during a refill always wins. A stale entry that outlives a failed delete or comes back with an
older Redis snapshot is therefore never trusted again. Any cache failure falls back to the
database.

Values are compact bytes (``D`` is 144 bits of the digest in base64url: the key of a session
is short, and finding another token with the same 144 bits is as hard as guessing one), read
and written through redis-py directly when the cache is django-redis (one ``MGET`` per
request; one ``MULTI``/``EXEC`` per write, so a login's entries land all or none) and through
the Django cache API otherwise. The user's primary key is in its key and its password hash
never leaves the database: ``request.user.password`` is a deferred field.
"""

from __future__ import annotations

import copy
import functools
import logging
import pickle
import secrets
import struct
import time
import weakref
import zlib
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.cache import BaseCache, caches
from django.db import InterfaceError, OperationalError, connections, models, router, transaction
from django.db.models.base import ModelState
from django.db.models.sql import UpdateQuery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_redis.cache import RedisCache
from django_redis.client import ShardClient
from rest_framework.exceptions import AuthenticationFailed

from . import server_identity, signals
from .batches import pk_batches
from .cache import check as check_cache
from .cache import warn_unavailable
from .client_ip import client_ip
from .exceptions import AccountDisabled, InvalidToken, SessionExpired
from .models import LoginMethod, RevokeReason, WxSession
from .settings import DEFAULTS, wxlogin_settings
from .tokens import (
    digest_key,
    make_token,
    token_digest,
    token_digest_and_key,
    user_reference,
)

logger = logging.getLogger("django_wxlogin.store")

USER_AGENT_MAX = 256
NONCE_LENGTH = 12  # secrets.token_urlsafe(9)
_SESSION = struct.Struct("<qIIIc")  # id, created, expires, last_seen (0: never), method
_METHODS = {method.value: method.value[:1].encode() for method in LoginMethod}
_METHOD_OF = {code: method for method, code in _METHODS.items()}
_APPID = NONCE_LENGTH + _SESSION.size
_pending_deletes: set[str] = set()
_EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_IMMUTABLE = (str, int, float, bytes, type(None), date, timedelta, Decimal, UUID)


class UserInactive(AuthenticationFailed):
    default_code = "user_inactive"
    default_detail = _("This account is disabled.")


class _Entries:
    """The entries through any Django cache, by name; values are bytes."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache

    def run_id(self) -> str:
        return ""

    def read(self, names: list[str]) -> tuple[list[bytes | None], str]:
        """The values of ``names`` (None where missing) and the Redis run_id they are under."""
        found = self.cache.get_many(names)
        return [found.get(name) for name in names], ""

    def get(self, name: str) -> bytes | None:
        return self.cache.get(name)

    def add(self, name: str, value: bytes, ttl: int) -> bool:
        return self.cache.add(name, value, ttl)

    def set_many(self, entries: dict[str, bytes], ttl: int, delete: Iterable[str] = ()) -> None:
        self.cache.set_many(entries, ttl)
        if delete:
            self.cache.delete_many(list(delete))

    def delete_many(self, names: Iterable[str]) -> None:
        self.cache.delete_many(list(names))


class _RedisEntries(_Entries):
    """The same entries on django-redis through redis-py: no pickling; writes in one
    MULTI/EXEC round trip, applied all or none. Reads go to the primary too: a replica that
    lags behind a revocation's delete must not serve the old generation."""

    def __init__(self, cache: RedisCache) -> None:
        super().__init__(cache)
        self.client = cache.client

    def run_id(self) -> str:
        return server_identity.run_id(self.cache)

    def read(self, names: list[str]) -> tuple[list[bytes | None], str]:
        store = self.cache
        key_func, key_prefix, version = store.key_func, store.key_prefix, store.version
        redis = self.client.get_client(write=True)
        values = redis.mget([key_func(name, key_prefix, version) for name in names])
        return values, server_identity.client_run_id(redis)

    def get(self, name: str) -> bytes | None:
        return self.client.get_client(write=True).get(self.cache.make_key(name))

    def add(self, name: str, value: bytes, ttl: int) -> bool:
        redis = self.client.get_client(write=True)
        return bool(redis.set(self.cache.make_key(name), value, ex=ttl, nx=True))

    def set_many(self, entries: dict[str, bytes], ttl: int, delete: Iterable[str] = ()) -> None:
        make_key = self.cache.make_key
        pipeline = self.client.get_client(write=True).pipeline()
        for name, value in entries.items():
            pipeline.set(make_key(name), value, ex=ttl)
        doomed = [make_key(name) for name in delete]
        if doomed:
            pipeline.delete(*doomed)
        pipeline.execute()

    def delete_many(self, names: Iterable[str]) -> None:
        keys = [self.cache.make_key(name) for name in names]
        if keys:
            self.client.get_client(write=True).delete(*keys)


_entries_of: weakref.WeakKeyDictionary[BaseCache, _Entries] = weakref.WeakKeyDictionary()


def _entries(conf: dict[str, Any] | None = None) -> _Entries:
    """The session cache's entries (``CACHE_ALIAS`` read now, the wrapper made once per cache)."""
    conf = wxlogin_settings.user_settings if conf is None else conf
    store = caches[conf.get("CACHE_ALIAS", DEFAULTS["CACHE_ALIAS"])]
    found = _entries_of.get(store)
    if found is None:
        plain = isinstance(store, RedisCache) and not isinstance(store.client, ShardClient)
        found = _entries_of[store] = _RedisEntries(store) if plain else _Entries(store)
    return found


def _name(kind: str, ref: object, conf: dict[str, Any] | None = None) -> str:
    conf = wxlogin_settings.user_settings if conf is None else conf
    return f"{conf.get('CACHE_KEY_PREFIX', DEFAULTS['CACHE_KEY_PREFIX'])}:{kind}:{ref}"


def _warn(action: str, exc: Exception) -> None:
    warn_unavailable(logger, "Session cache", exc)


def _new_nonce() -> str:
    return secrets.token_urlsafe(9)


def _ts(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def _dt(ts: int) -> datetime | None:
    return datetime.fromtimestamp(ts, tz=dt_timezone.utc) if ts else None


def _entry(nonce: str, row: WxSession) -> bytes:
    times = _ts(row.created_at), _ts(row.expires_at), _ts(row.last_seen_at)
    return nonce.encode() + _SESSION.pack(row.pk, *times, _METHODS[row.method]) + \
        row.appid.encode()


@functools.cache
def _user_layout() -> tuple[type[models.Model], tuple[str, ...], tuple[int, ...], int]:
    """The user model, the fields the cache keeps (all concrete ones but the primary key, which
    is in the key, and the password hash), which of them are datetimes, and a tag of that list
    so an entry written before a schema change is a miss, not a wrong user."""
    model = WxSession._meta.get_field("user").related_model
    fields = [f for f in model._meta.concrete_fields
              if not f.primary_key and f.attname != "password"]
    names = tuple(f.attname for f in fields)
    stamps = tuple(i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField))
    return model, names, stamps, zlib.crc32(" ".join(names).encode())


def _pack_user(user: Any) -> bytes:
    """The user's cached fields; aware datetimes as integer microseconds (98 bytes pickled
    otherwise)."""
    _, names, stamps, tag = _user_layout()
    values = [tag, *(getattr(user, name) for name in names)]
    for i in stamps:
        moment = values[i + 1]
        if moment is not None and moment.tzinfo is not None:
            values[i + 1] = (moment - _EPOCH) // _MICROSECOND
    return pickle.dumps(tuple(values), pickle.HIGHEST_PROTOCOL)


def _loaded(model: type[models.Model], values: dict[str, Any], db: str) -> Any:
    """An instance as a query would return it, built the way unpickling builds one (no
    ``__init__``); fields missing from ``values`` are deferred."""
    instance = model.__new__(model)
    instance.__dict__.update(values)
    state = instance._state = ModelState()
    state.adding, state.db = False, db
    return instance


@functools.lru_cache(maxsize=4096)
def _user_fields(user_ref: str, data: bytes) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    """A cached user's fields, decoded once per process for each distinct entry, and the names
    of those holding mutable values (copied per request); None when the entry predates the
    user model's current fields."""
    model, names, stamps, tag = _user_layout()
    tagged, *values = pickle.loads(data)  # noqa: S301  (written by _pack_user; trusted)
    if tagged != tag:
        return None
    for i in stamps:
        if type(values[i]) is int:
            values[i] = _EPOCH + timedelta(microseconds=values[i])
    fields = dict(zip(names, values, strict=True))
    pk = model._meta.pk
    fields[pk.attname] = pk.to_python(user_ref)
    mutable = tuple(name for name, value in fields.items() if not isinstance(value, _IMMUTABLE))
    return fields, mutable


def _unpack_user(user_ref: str, data: bytes, db: str) -> Any | None:
    """A fresh user instance from its cache entry, or None (see ``_user_fields``)."""
    decoded = _user_fields(user_ref, data)
    if decoded is None:
        return None
    fields, mutable = decoded
    user = _loaded(_user_layout()[0], fields, db)
    for name in mutable:
        user.__dict__[name] = copy.deepcopy(fields[name])
    return user


@functools.lru_cache(maxsize=4096)
def _session_fields(entry: bytes) -> tuple[dict[str, Any], int, int]:
    """A session entry's fields (all immutable), decoded once per process for each distinct
    entry; and its expiry and last-seen timestamps."""
    pk, created, expires, last_seen, method = _SESSION.unpack_from(entry, NONCE_LENGTH)
    return {
        "id": pk, "appid": entry[_APPID:].decode(), "created_at": _dt(created),
        "expires_at": _dt(expires), "last_seen_at": _dt(last_seen), "revoked_at": None,
        "revoke_reason": "", "method": _METHOD_OF[method],
    }, expires, last_seen


def _remaining(row: WxSession) -> int:
    return max(1, int((row.expires_at - timezone.now()).total_seconds()))


def _delete(entries: _Entries, names: Iterable[str]) -> None:
    """Delete entries now, or remember them and retry before this process's next cache read."""
    names = set(names) | _pending_deletes
    try:
        check_cache()
        entries.delete_many(names)
    except Exception as exc:
        _pending_deletes.update(names)
        _warn("a revocation", exc)
    else:
        _pending_deletes.difference_update(names)


def _read(entries: _Entries, names: list[str]) -> tuple[list[bytes | None] | None, str]:
    """The cached values and the Redis run_id, or (None, "") when the cache is down."""
    try:
        check_cache()
        if _pending_deletes:
            _delete(entries, ())
            if _pending_deletes:
                return None, ""
        return entries.read(names)
    except Exception as exc:
        _warn("a session lookup", exc)
        return None, ""


def _check_times(expires: int, last_seen: int, now: float, conf: dict[str, Any]) -> None:
    if now >= expires:
        raise SessionExpired()
    if conf.get("IDLE_TIMEOUT") is not None:
        idle = wxlogin_settings.idle_timeout_seconds
        if idle and last_seen and now - last_seen >= idle:
            raise SessionExpired()


def _trusted(entry: bytes | None, gen: bytes | None, cached_user: bytes | None,
             run_id: str) -> bool:
    return bool(entry and gen and cached_user) and \
        entry[:NONCE_LENGTH] == gen[:NONCE_LENGTH] == cached_user[:NONCE_LENGTH] and \
        gen[NONCE_LENGTH:] == run_id.encode()


def _touch(entries: _Entries | None, name: str, nonce: str | None, session: WxSession,
           now: float) -> None:
    """Record "last seen"; callers do it at most once per ``LAST_SEEN_INTERVAL`` (no write per
    request)."""
    moment = datetime.fromtimestamp(now, tz=dt_timezone.utc)
    try:
        WxSession.objects.filter(pk=session.pk).update(last_seen_at=moment)
    except (OperationalError, InterfaceError) as exc:  # a database outage: serve from cache
        logger.warning("Could not record last seen (%s)", type(exc).__name__)
        return
    session.last_seen_at = moment
    if entries is not None and nonce is not None:
        try:
            entries.set_many({name: _entry(nonce, session)}, _remaining(session))
        except Exception as exc:
            _warn("a last-seen update", exc)


def authenticate(token: str, conf: dict[str, Any] | None = None) -> tuple[Any, WxSession]:
    """The (user, session) a token belongs to, or an ``AuthenticationFailed`` subclass.

    ``conf`` is the ``WXLOGIN`` dict when the caller has just read it (one read per request).
    """
    user_ref = user_reference(token)
    if user_ref is None:
        raise InvalidToken()
    if conf is None:
        conf = wxlogin_settings.user_settings
    digest, key = token_digest_and_key(token)
    prefix = conf.get("CACHE_KEY_PREFIX", DEFAULTS["CACHE_KEY_PREFIX"])
    sname = f"{prefix}:s:{key}"
    entries = _entries(conf)
    found, run_id = _read(entries, [sname, f"{prefix}:n:{user_ref}", f"{prefix}:u:{user_ref}"])
    if found is None:
        return _from_database(digest, user_ref, None, None, "", conf)
    entry, gen, cached_user = found
    if _trusted(entry, gen, cached_user, run_id):
        fields, expires, last_seen = _session_fields(entry)
        now = time.time()
        _check_times(expires, last_seen, now, conf)
        db = router.db_for_read(WxSession)
        user = _unpack_user(user_ref, cached_user[NONCE_LENGTH:], db)
        if user is not None and not user.is_active:
            raise UserInactive()
        if user is not None:
            session = _loaded(WxSession, fields, db)
            session.__dict__.update(user_id=user.pk, digest=digest)
            session._state.fields_cache = {"user": user}
            if now - last_seen >= conf.get("LAST_SEEN_INTERVAL", DEFAULTS["LAST_SEEN_INTERVAL"]):
                _touch(entries, sname, gen[:NONCE_LENGTH].decode(), session, now)
            return user, session
    return _from_database(digest, user_ref, entries, gen, run_id, conf)


def _generation(entries: _Entries, nname: str, gen: bytes | None, run_id: str,
                ttl: int) -> str | None:
    """The user's current nonce, made first if need be; None if the cache is failing."""
    try:
        if gen and gen[NONCE_LENGTH:] == run_id.encode():
            return gen[:NONCE_LENGTH].decode()
        nonce = _new_nonce()
        value = f"{nonce}{run_id}".encode()
        if gen is None and not entries.add(nname, value, ttl):
            gen = entries.get(nname)
            if gen and gen[NONCE_LENGTH:] == run_id.encode():
                return gen[:NONCE_LENGTH].decode()
        entries.set_many({nname: value}, ttl)
        return nonce
    except Exception as exc:
        _warn("a session refill", exc)
        return None


def _from_database(digest: str, user_ref: str, entries: _Entries | None, gen: bytes | None,
                   run_id: str, conf: dict[str, Any]) -> tuple[Any, WxSession]:
    nonce = None
    if entries is not None:
        nonce = _generation(entries, _name("n", user_ref, conf), gen, run_id,
                            wxlogin_settings.token_ttl_seconds)
    row = WxSession.objects.select_related("user").filter(digest=digest).first()
    if row is None or str(row.user_id) != user_ref:
        raise InvalidToken()
    if row.revoked_at is not None:
        raise SessionExpired()
    now, last_seen = time.time(), _ts(row.last_seen_at)
    _check_times(_ts(row.expires_at), last_seen, now, conf)
    if not row.user.is_active:
        raise UserInactive()
    sname = _name("s", digest_key(digest), conf)
    if nonce is not None:
        try:
            entries.set_many({
                sname: _entry(nonce, row),
                _name("u", user_ref, conf): nonce.encode() + _pack_user(row.user),
            }, _remaining(row))
        except Exception as exc:
            _warn("a session refill", exc)
            nonce = None
    if now - last_seen >= conf.get("LAST_SEEN_INTERVAL", DEFAULTS["LAST_SEEN_INTERVAL"]):
        _touch(entries, sname, nonce, row, now)
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
    so that concurrent logins under ``SINGLE_SESSION`` leave exactly one live session. Every
    way in comes here, so an inactive user is refused here (``403 user_inactive``): the
    transaction rolls back, and nothing is created or cached.
    """
    if not user.is_active:
        raise AccountDisabled()
    stale: list[tuple[int, Any, str]] = []
    if wxlogin_settings.SINGLE_SESSION:
        stale = _revoke_live_sessions_of(user.pk, appid)
        _announce(stale, RevokeReason.SINGLE_SESSION)
    now = timezone.now()
    token = make_token(user.pk)
    agent, ip = _client_details(request)
    row = WxSession.objects.create(
        user=user, digest=token_digest(token), appid=appid, method=method, created_at=now,
        expires_at=now + timedelta(seconds=wxlogin_settings.token_ttl_seconds),
        last_seen_at=now, user_agent=agent, ip_address=ip,
    )
    transaction.on_commit(lambda: _cache_issued(row, [digest for _, _, digest in stale]))
    return token, row


def _cache_issued(row: WxSession, stale: list[str]) -> None:
    """One pipelined write: a new generation for the user, the user and the session, and the
    deletion of the sessions this login revoked."""
    entries = _entries()
    doomed = [_name("s", digest_key(d)) for d in stale]
    try:
        check_cache()
        nonce = _new_nonce()
        entries.set_many({
            _name("n", row.user_id): f"{nonce}{entries.run_id()}".encode(),
            _name("u", row.user_id): nonce.encode() + _pack_user(row.user),
            _name("s", digest_key(row.digest)): _entry(nonce, row),
        }, wxlogin_settings.token_ttl_seconds, delete=doomed)
    except Exception as exc:
        _warn("a login", exc)
        _delete(entries, [_name("n", row.user_id), *doomed])


def _supports_update_returning(alias: str) -> bool:
    connection = connections[alias]
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 35)


def _revoke_live_sessions_of(user_pk: object, appid: str) -> list[tuple[int, Any, str]]:
    """Revoke a logging-in user's live sessions in the same mini program (a login in another
    of the backend's mini programs leaves them be) in the database; their (pk, user, digest).
    One ``UPDATE ... RETURNING`` where the database has it (a login's query budget): the very
    statement ``QuerySet.update()`` would run, plus ``RETURNING``. The cache is left to
    ``_cache_issued``, whose new generation voids the user's old entries."""
    live = WxSession.objects.live().filter(user_id=user_pk, appid=appid)
    alias = router.db_for_write(WxSession)
    if not _supports_update_returning(alias):
        return _mark_revoked(live, RevokeReason.SINGLE_SESSION)
    query = live.query.chain(UpdateQuery)
    query.add_update_values({"revoked_at": timezone.now(),
                             "revoke_reason": RevokeReason.SINGLE_SESSION})
    compiler = query.get_compiler(alias)
    compiler.pre_sql_setup()
    sql, params = compiler.as_sql()
    connection = connections[alias]
    columns = ", ".join(connection.ops.quote_name(WxSession._meta.get_field(name).column)
                        for name in ("id", "user", "digest"))
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {columns}", params)
        return [tuple(row) for row in cursor.fetchall()]


def _mark_revoked(queryset: Any, reason: str) -> list[tuple[int, Any, str]]:
    """Mark the queryset's live sessions revoked in the database; their (pk, user, digest)."""
    rows = list(queryset.filter(revoked_at__isnull=True).values_list("pk", "user_id", "digest"))
    if rows:
        WxSession.objects.filter(pk__in=[pk for pk, _, _ in rows],
                                 revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoke_reason=reason
        )
    return rows


def _revoke_rows(queryset: Any, reason: str) -> list[str]:
    """Revoke the queryset's live sessions; once committed, the cache forgets them and their
    users' generations. Their digests."""
    rows = _mark_revoked(queryset, reason)
    if rows:
        names = [_name("s", digest_key(d)) for _, _, d in rows] + \
            [_name(kind, u) for u in {u for _, u, _ in rows} for kind in ("n", "u")]
        transaction.on_commit(lambda: _delete(_entries(), names))
        _announce(rows, reason)
    return [d for _, _, d in rows]


def _announce(rows: list[tuple[int, Any, str]], reason: str) -> None:
    """Send ``session_revoked`` for these sessions once the revocation has committed."""
    if rows:
        sessions = [(pk, user) for pk, user, _ in rows]
        transaction.on_commit(lambda: signals.session_revoked.send(
            sender=WxSession, sessions=sessions, reason=reason))


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
    names = [_name("n", user_pk), _name("u", user_pk)]
    transaction.on_commit(lambda: _delete(_entries(), names))
