"""The shared cache (``CACHE_ALIAS``, Redis in production) that holds sessions, throttle counts,
code locks and access tokens, and one way to report it down.

Every user of the cache treats a failure the same way: carry on without it (the database or
WeChat's own rules still hold) and say so in the log, once in a while rather than on every
request, so an outage does not flood the logs.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import BaseCache, caches

from .settings import wxlogin_settings

WARNING_INTERVAL = 10.0  # seconds between two warnings of one kind, per process
_last_warned: dict[str, float] = {}


def cache() -> BaseCache:
    return caches[wxlogin_settings.CACHE_ALIAS]


def warn_unavailable(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log ``<what> unavailable (<error type>)`` at most once per ``WARNING_INTERVAL``."""
    key = f"{logger.name}:{what}"
    now = time.monotonic()
    if now - _last_warned.get(key, -WARNING_INTERVAL) >= WARNING_INTERVAL:
        _last_warned[key] = now
        logger.warning("%s unavailable (%s)", what, type(exc).__name__)
