"""The session cache's entries: named byte strings in the ``CACHE_ALIAS`` cache.

On django-redis they are read and written through redis-py directly: one ``MGET`` per request,
one ``MULTI``/``EXEC`` per write (so a login's entries land all or none), no pickling. Any other
Django cache goes through the cache API. A delete that fails is remembered and retried before
this process's next read, and until it succeeds every read falls back to the database: an entry
a revocation meant to delete is never read again.
"""

from __future__ import annotations

import logging
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


class Entries:
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


class RedisEntries(Entries):
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


def entry_name(kind: str, ref: object, conf: dict[str, Any] | None = None) -> str:
    """``<CACHE_KEY_PREFIX>:<kind>:<ref>``: ``n`` generation, ``u`` user, ``s`` session."""
    conf = wxlogin_settings.user_settings if conf is None else conf
    return f"{conf.get('CACHE_KEY_PREFIX', DEFAULTS['CACHE_KEY_PREFIX'])}:{kind}:{ref}"


def cache_failed(exc: Exception) -> None:
    """Leave the cache alone for a while and say so (see :mod:`django_wxlogin.cache`)."""
    warn_unavailable(logger, "Session cache", exc)


def delete_or_retry_later(entries: Entries, names: Iterable[str]) -> None:
    """Delete entries now, or remember them and retry before this process's next cache read."""
    names = set(names) | pending_deletes
    try:
        check_cache()
        entries.delete_many(names)
    except Exception as exc:
        pending_deletes.update(names)
        cache_failed(exc)
    else:
        pending_deletes.difference_update(names)


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
