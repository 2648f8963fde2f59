"""Revocations that reach every server from any process, whatever cache that process has.

A revocation records the cache entries it voids in the database (``PendingInvalidation``) in
its own transaction, on the primary: it commits with the revocation or not at all, so no crash,
Redis outage or misconfigured process between the commit and the cache can lose it. Once the
transaction commits, the revoking process voids the entries itself and deletes the row, when
its cache is the shared one (Redis) and answers. Otherwise (a shell or cron box without
``REDIS_URL``, a per-process cache, Redis unreachable from there, the process killed) the row
stays, and every process that serves requests applies the whole backlog, however long, and
deletes it, looking at most once per ``REVOCATION_SYNC_INTERVAL`` seconds (one indexed query on
the primary per interval, never one per request; a replica may not have the row yet).

So a revoked token is refused everywhere at once when the revoking process reached Redis, and
within ``REVOCATION_SYNC_INTERVAL`` (plus the time to apply the backlog) when it did not.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from django.db import DatabaseError, transaction

from ..cache import is_down, is_shared
from ..databases import primary
from ..models import PendingInvalidation
from ..settings import wxlogin_settings
from .entries import delete_or_retry_later, entries_for

logger = logging.getLogger("django_wxlogin.store")

DRAIN_BATCH = 500  # rows read, applied and deleted per round trip while draining
_next_check = [0.0]  # monotonic time of this process's next look at the outbox
_undelivered = threading.local()  # this thread's count of invalidations left to the outbox


def record(names: Iterable[str]) -> None:
    """Record these entries for voiding in the current transaction (the revocation's); once it
    commits, void them now and drop the record, or leave it to the servers."""
    names = sorted(set(names))
    alias = primary(PendingInvalidation)
    row = PendingInvalidation.objects.using(alias).create(names=" ".join(names))
    transaction.on_commit(lambda: _deliver(row.pk, names, alias), using=alias)


def deliver(names: Iterable[str]) -> bool:
    """After a commit that recorded nothing (a login whose cache write failed): void these
    entries now, or record them for the servers; whether they were voided in the shared
    cache."""
    names = sorted(set(names))
    if delete_or_retry_later(entries_for(), names) and is_shared():
        return True
    _undelivered.count = undelivered() + 1
    try:
        PendingInvalidation.objects.using(primary(PendingInvalidation)).create(
            names=" ".join(names))
    except DatabaseError:
        logger.error("Revocation not recorded for the other processes: database unavailable")
    return False


def _deliver(pk: int, names: list[str], alias: str) -> None:
    """Void the entries in this process's cache; when that is the shared one and it answered,
    the record is done with."""
    applied = delete_or_retry_later(entries_for(), names)
    if not (applied and is_shared()):
        _undelivered.count = undelivered() + 1
        return
    try:
        PendingInvalidation.objects.using(alias).filter(pk=pk).delete()
    except DatabaseError as exc:  # applied: the servers apply it once more, harmlessly
        logger.warning("Applied revocation not cleared (%s)", type(exc).__name__)


def undelivered() -> int:
    """How many revocations of this thread were left to the servers' ``REVOCATION_SYNC_INTERVAL``
    (commands and the admin compare it before and after a revocation, to say so)."""
    return getattr(_undelivered, "count", 0)


def drain_if_due() -> None:
    """Apply every recorded invalidation, if ``REVOCATION_SYNC_INTERVAL`` has passed since this
    process last looked; a cheap time comparison otherwise. Only a process whose cache is the
    shared one drains: one with a per-process cache would delete rows it did not apply."""
    now = time.monotonic()
    if now < _next_check[0] or is_down() or not is_shared():
        return
    _next_check[0] = now + float(wxlogin_settings.REVOCATION_SYNC_INTERVAL)
    try:
        drain()
    except DatabaseError as exc:
        logger.warning("Pending revocations not checked (%s)", type(exc).__name__)


def drain() -> int:
    """Apply and delete the whole backlog from the primary, ``DRAIN_BATCH`` rows per round trip
    (bounded memory); how many rows. Stops early only when the cache fails."""
    pending = PendingInvalidation.objects.using(primary(PendingInvalidation)).order_by("pk")
    done, last = 0, 0
    while True:
        rows = list(pending.filter(pk__gt=last).values_list("pk", "names")[:DRAIN_BATCH])
        if not rows or not delete_or_retry_later(
                entries_for(), {n for _, names in rows for n in names.split()}):
            return done
        pending.filter(pk__in=[pk for pk, _ in rows]).delete()
        done, last = done + len(rows), rows[-1][0]
        if len(rows) < DRAIN_BATCH:
            return done
