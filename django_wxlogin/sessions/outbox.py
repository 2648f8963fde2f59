"""Revocations that reach every worker, even when the process that made them cannot reach Redis.

A revocation voids its cache entries once its transaction commits. When that fails (Redis down
or unreachable from that process: a command on another host, a Celery worker, a shell), the
entries are recorded in the database (``PendingInvalidation``) right after the commit, and
every process that serves requests looks for such rows at most once per
``REVOCATION_SYNC_INTERVAL`` seconds (one indexed query per interval, never one per request),
voids them in Redis and deletes the rows. So a revoked token is refused everywhere at once when
the revoking process reached Redis, and within that interval when it did not.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from django.db import DatabaseError

from ..cache import is_down
from ..models import PendingInvalidation
from ..settings import wxlogin_settings
from .entries import delete_or_retry_later, entries_for

logger = logging.getLogger("django_wxlogin.store")

DRAIN_BATCH = 500
_next_check = [0.0]  # monotonic time of this process's next look at the outbox
_undelivered = threading.local()  # this thread's count of invalidations left to the outbox


def deliver(names: Iterable[str]) -> bool:
    """Void these entries now (after a revocation committed), or record them for the other
    processes; whether the cache was reached."""
    names = sorted(set(names))
    if delete_or_retry_later(entries_for(), names):
        return True
    _undelivered.count = undelivered() + 1
    try:
        PendingInvalidation.objects.create(names=" ".join(names))
    except DatabaseError:
        logger.error("Revocation not recorded for the other processes: database unavailable")
    return False


def undelivered() -> int:
    """How many invalidations this thread has left to the outbox so far (commands and the
    admin compare it before and after a revocation, to warn)."""
    return getattr(_undelivered, "count", 0)


def drain_if_due() -> None:
    """Apply recorded invalidations, if ``REVOCATION_SYNC_INTERVAL`` has passed since this
    process last looked; a cheap time comparison otherwise."""
    now = time.monotonic()
    if now < _next_check[0] or is_down():
        return
    _next_check[0] = now + float(wxlogin_settings.REVOCATION_SYNC_INTERVAL)
    try:
        rows = list(PendingInvalidation.objects.order_by("pk")
                    .values_list("pk", "names")[:DRAIN_BATCH])
        if rows and delete_or_retry_later(entries_for(),
                                          {n for _, names in rows for n in names.split()}):
            PendingInvalidation.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    except DatabaseError as exc:
        logger.warning("Pending revocations not checked (%s)", type(exc).__name__)
