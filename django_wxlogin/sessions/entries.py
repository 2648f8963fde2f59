"""The session cache's entries: named byte strings in the ``CACHE_ALIAS`` cache.

On django-redis they are read and written through redis-py directly: one ``MGET`` per request,
one ``MULTI``/``EXEC`` or one script per write (so a login's entries land all or none), no
pickling. Every entry of a user carries the hash tag ``{<user>}``, so that on a Redis Cluster
they share a slot and that read and that write stay one round trip to one node. Any other
Django cache goes through the cache API. A delete that fails is remembered and retried before
this process's next read, and until it succeeds every read falls back to the database: an entry
a revocation meant to delete is never read again (other processes learn of it through
:mod:`.outbox`).

A revocation does not delete a user's generation ``n`` but overwrites it with a tombstone of its
own (a fresh nonce that no run_id matches), and a refill writes only if ``n`` is still what it
read before asking the database (``refill``: one compare-and-set). So a revocation that commits
while a refill is between its database read and its write always wins, even when the user had
no generation yet.
"""

from __future__ import annotations

import logging
import secrets
import weakref
from collections.abc import Iterable
from typing import Any

from django.core.cache import BaseCache, caches
from django_redis.cache import RedisCache
from django_redis.client import ShardClient

from ..cache import check as check_cache
from ..cache import warn_unavailable
from ..settings import DEFAULTS, wxlogin_settings
from . import local, server_identity

logger = logging.getLogger("django_wxlogin.store")

pending_deletes: set[str] = set()
TOMBSTONE_TTL = 3600  # longer than any refill takes between its read and its write
_TOMBSTONE_MARK = b"!"  # after the nonce, where a generation has the Redis run_id


def is_generation(name: str) -> bool:
    """Whether ``name`` is a user's generation (``entry_name("n", user)``)."""
    return name.rsplit(":", 1)[-1] == "n"


def tombstone() -> bytes:
    """A generation that no entry agrees with, unique to one revocation."""
    return secrets.token_urlsafe(9).encode() + _TOMBSTONE_MARK


class Entries:
    """The entries through any Django cache, by name; values are bytes."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache

    def run_id(self, name: str) -> str:
        """The run_id of the Redis server that holds ``name`` ("" off Redis)."""
        return ""

    def read(self, names: list[str]) -> tuple[list[bytes | None], str]:
        """The values of ``names`` (None where missing) and the Redis run_id they are under."""
        found = self.cache.get_many(names)
        return [found.get(name) for name in names], ""

    def refill(self, generation: str, seen: bytes | None, new: bytes | None,
               entries: dict[str, bytes], ttl: int, generation_ttl: int,
               delete: Iterable[str] = ()) -> bool:
        """Write ``entries`` (and ``new`` as the generation, unless None) and delete the
        entries named in ``delete``, only if the generation is still ``seen``; whether it was.
        (Check, then write: not atomic on a plain Django cache.)"""
        if self.cache.get(generation) != seen:
            return False
        if new is not None:
            self.cache.set(generation, new, generation_ttl)
        self.set_many(entries, ttl, delete)
        return True

    def set_many(self, entries: dict[str, bytes], ttl: int, delete: Iterable[str] = ()) -> None:
        self.cache.set_many(entries, ttl)
        if delete:
            self.cache.delete_many(list(delete))

    def delete_many(self, names: Iterable[str]) -> None:
        """Delete entries; a generation is overwritten with a tombstone instead."""
        names = list(names)
        self.cache.set_many({name: tombstone() for name in names if is_generation(name)},
                            TOMBSTONE_TTL)
        self.cache.delete_many([name for name in names if not is_generation(name)])


class RedisEntries(Entries):
    """The same entries on django-redis through redis-py: no pickling; writes in one
    MULTI/EXEC round trip, applied all or none. Reads go to the primary too: a replica that
    lags behind a revocation's delete must not serve the old generation."""

    def __init__(self, cache: RedisCache) -> None:
        super().__init__(cache)
        self.client = cache.client
        self._refill_script: Any = None

    def run_id(self, name: str) -> str:
        return server_identity.client_run_id(self.client.get_client(write=True),
                                             self.cache.make_key(name))

    def read(self, names: list[str]) -> tuple[list[bytes | None], str]:
        """The values, and the run_id of the server (on a cluster: the node) they came from."""
        store = self.cache
        key_func, key_prefix, version = store.key_func, store.key_prefix, store.version
        redis = self.client.get_client(write=True)
        keys = [key_func(name, key_prefix, version) for name in names]
        values = redis.mget(keys)
        return values, server_identity.client_run_id(redis, keys[0])

    # KEYS: the generation, the entries to write, then those to delete; ARGV: what the
    # generation was ("" for none), its new value ("" to keep it), its TTL, the entries' TTL,
    # how many to write, then their values.
    _REFILL = """
        if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
        if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
        local count = tonumber(ARGV[5])
        for i = 1, count do redis.call('SET', KEYS[i + 1], ARGV[i + 5], 'EX', ARGV[4]) end
        for i = count + 2, #KEYS do redis.call('DEL', KEYS[i]) end
        return 1
    """

    def refill(self, generation: str, seen: bytes | None, new: bytes | None,
               entries: dict[str, bytes], ttl: int, generation_ttl: int,
               delete: Iterable[str] = ()) -> bool:
        """The same, atomic: one ``EVALSHA``."""
        make_key = self.cache.make_key
        redis = self.client.get_client(write=True)
        keys = [make_key(generation), *(make_key(name) for name in entries),
                *(make_key(name) for name in delete)]
        args = [seen or b"", new or b"", generation_ttl, ttl, len(entries), *entries.values()]
        if self._refill_script is None:
            self._refill_script = redis.register_script(self._REFILL)
        try:
            return bool(self._refill_script(keys=keys, args=args, client=redis))
        finally:
            local.forget(redis, keys)

    def set_many(self, entries: dict[str, bytes], ttl: int, delete: Iterable[str] = ()) -> None:
        make_key = self.cache.make_key
        redis = self.client.get_client(write=True)
        pipeline = redis.pipeline(transaction=True)
        written = [make_key(name) for name in entries]
        for key, value in zip(written, entries.values(), strict=True):
            pipeline.set(key, value, ex=ttl)
        doomed = [make_key(name) for name in delete]
        if doomed:
            pipeline.delete(*doomed)
        try:
            pipeline.execute()
        finally:
            local.forget(redis, written + doomed)

    def delete_many(self, names: Iterable[str]) -> None:
        """Delete entries and tombstone generations, in one round trip."""
        names = list(names)
        if not names:
            return
        make_key = self.cache.make_key
        redis = self.client.get_client(write=True)
        pipeline = redis.pipeline()
        keys = [make_key(name) for name in names]
        for name, key in zip(names, keys, strict=True):
            if is_generation(name):
                pipeline.set(key, tombstone(), ex=TOMBSTONE_TTL)
            else:
                pipeline.delete(key)  # one key each: on a cluster, slots differ
        try:
            pipeline.execute()
        finally:
            local.forget(redis, keys)


_entries_of: weakref.WeakKeyDictionary[BaseCache, Entries] = weakref.WeakKeyDictionary()


def entries_for(conf: dict[str, Any] | None = None) -> Entries:
    """The session cache's entries (``CACHE_ALIAS`` read now, the wrapper made once per cache)."""
    conf = wxlogin_settings.user_settings if conf is None else conf
    store = caches[conf.get("CACHE_ALIAS", DEFAULTS["CACHE_ALIAS"])]
    found = _entries_of.get(store)
    if found is None:
        plain = isinstance(store, RedisCache) and not isinstance(store.client, ShardClient)
        found = _entries_of[store] = RedisEntries(store) if plain else Entries(store)
    return found


def entry_name(kind: str, user: object, key: str = "",
               conf: dict[str, Any] | None = None) -> str:
    """``<CACHE_KEY_PREFIX>:{<user>}:<kind>``: ``n`` the user's generation, ``u`` the user;
    ``...:s:<key>`` a session of theirs (``key``: ``tokens.digest_key``)."""
    conf = wxlogin_settings.user_settings if conf is None else conf
    name = f"{conf.get('CACHE_KEY_PREFIX', DEFAULTS['CACHE_KEY_PREFIX'])}:{{{user}}}:{kind}"
    return f"{name}:{key}" if key else name


def cache_failed(exc: Exception) -> None:
    """Leave the cache alone for a while and say so (see :mod:`django_wxlogin.cache`)."""
    warn_unavailable(logger, "Session cache", exc)


def delete_or_retry_later(entries: Entries, names: Iterable[str]) -> bool:
    """Delete entries now, or remember them and retry before this process's next cache read;
    whether they are gone."""
    names = set(names) | pending_deletes
    try:
        check_cache()
        entries.delete_many(names)
    except Exception as exc:
        pending_deletes.update(names)
        cache_failed(exc)
        return False
    pending_deletes.difference_update(names)
    return True


def read_entries(entries: Entries, names: list[str], conf: dict[str, Any] | None = None
                 ) -> tuple[list[bytes | None] | None, str]:
    """The cached values and the Redis run_id, or (None, "") when the cache is down or a
    remembered delete still fails; on django-redis through this process's memory
    (:mod:`.local`)."""
    try:
        check_cache()
        if pending_deletes:
            delete_or_retry_later(entries, ())
            if pending_deletes:
                return None, ""
        if isinstance(entries, RedisEntries):
            return local.read(entries, names, wxlogin_settings.user_settings if conf is None
                              else conf)
        return entries.read(names)
    except Exception as exc:
        cache_failed(exc)
        return None, ""
