"""The shared cache (``CACHE_ALIAS``, Redis in production) that holds sessions, throttle counts,
code locks and access tokens, and one way to report it down.

Every user of the cache treats a failure the same way: carry on without it (the database or
WeChat's own rules still hold), leave it alone for ``CACHE_RETRY_AFTER`` seconds (so a Redis
that hangs costs one timeout per interval and process, not several per request, and no retry
storm hits it when it comes back), and say so in the log, once in a while rather than on every
request, so an outage does not flood the logs.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import BaseCache, caches

from .settings import wxlogin_settings

# Caches that each process keeps for itself: what one process deletes there, the others keep.
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)
WARNING_INTERVAL = 10.0  # seconds between two warnings of one kind, per process
_last_warned: dict[str, float] = {}
_down_until = [0.0]  # monotonic time until which this process does not try the cache


def cache() -> BaseCache:
    """The shared cache; :class:`CacheDown` while it is left alone after a failure (call it
    where a cache error is handled)."""
    check()
    return caches[wxlogin_settings.CACHE_ALIAS]


def key(*parts: object) -> str:
    """A key of the package's in the shared cache besides the session entries (throttle
    counters, code locks, bind tickets, access tokens):
    ``<CACHE_KEY_PREFIX>-untracked:<part>:<part>...``. Outside ``<CACHE_KEY_PREFIX>:``, the
    prefix every worker's in-process cache tracks (:mod:`.sessions.local`), so that what
    anonymous clients make us write never invalidates the workers' entries."""
    return ":".join((f"{wxlogin_settings.CACHE_KEY_PREFIX}-untracked", *map(str, parts)))


def is_shared(alias: str | None = None) -> bool:
    """Whether the cache ``alias`` (default ``CACHE_ALIAS``) is one all processes share: a
    delete there reaches the servers. False for a per-process cache or none at all."""
    alias = alias or wxlogin_settings.CACHE_ALIAS
    backend = getattr(settings, "CACHES", {}).get(alias, {}).get("BACKEND")
    return backend is not None and backend not in PER_PROCESS_CACHES


def is_down() -> bool:
    """Whether the cache failed less than ``CACHE_RETRY_AFTER`` seconds ago in this process:
    callers then skip it as if it had failed again, without waiting on it."""
    return time.monotonic() < _down_until[0]


class CacheDown(Exception):
    """Raised instead of trying a cache that failed a moment ago (see :func:`is_down`)."""


def check() -> None:
    """Raise :class:`CacheDown` while the cache is left alone."""
    if is_down():
        raise CacheDown()


def warn_unavailable(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Leave the cache alone for ``CACHE_RETRY_AFTER`` seconds, and log
    ``<what> unavailable (<error type>)`` at most once per ``WARNING_INTERVAL``."""
    if not isinstance(exc, CacheDown):
        _down_until[0] = time.monotonic() + float(wxlogin_settings.CACHE_RETRY_AFTER)
    key = f"{logger.name}:{what}"
    now = time.monotonic()
    if now - _last_warned.get(key, -WARNING_INTERVAL) >= WARNING_INTERVAL:
        _last_warned[key] = now
        logger.warning("%s unavailable (%s)", what, type(exc).__name__)
