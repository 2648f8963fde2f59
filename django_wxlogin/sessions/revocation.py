"""Revoking sessions: in the database first, then, once that commits, in the cache.

Every revocation marks rows revoked in the database (the truth), and after the transaction
commits deletes the sessions' cache entries and their users' generations, so every other entry
of those users stops being trusted too, then sends ``session_revoked``. A delete that fails is
retried before the process's next cache read (:mod:`.entries`); the entries to void are
recorded in the revocation's own transaction (:mod:`.outbox`), so the servers void them even
when this process cannot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, cast

from django.db import connections, transaction
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from .. import signals
from ..databases import primary
from ..models import RevokeReason, WxSession
from .batches import pk_batches
from .entries import entry_name
from .outbox import record
from .tokens import digest_key


def _supports_update_returning(alias: str) -> bool:
    connection = connections[alias]
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35)


def _revoke_live_sessions_of(user_pk: object, appid: str, surface: str
                             ) -> list[tuple[int, Any, str]]:
    """Revoke a logging-in user's live sessions in the same mini program on the same surface (a
    login in another of the backend's mini programs, or on another surface, leaves them be) in
    the database; their (pk, user, digest).
    One ``UPDATE ... RETURNING`` where the database has it (a login's query budget): the very
    statement ``QuerySet.update()`` would run, plus ``RETURNING``."""
    alias = primary(WxSession)
    live = WxSession.objects.using(alias).live().filter(user_id=user_pk, appid=appid,
                                                        surface=surface)
    if not _supports_update_returning(alias):
        return _mark_revoked(live, RevokeReason.SINGLE_SESSION)
    query = cast(UpdateQuery, live.query.chain(UpdateQuery))
    query.add_update_values({"revoked_at": timezone.now(),
                             "revoke_reason": RevokeReason.SINGLE_SESSION})
    compiler = query.get_compiler(alias)
    compiler.pre_sql_setup()
    sql, params = compiler.as_sql()
    connection = connections[alias]
    column_of = {field.name: field.column for field in WxSession._meta.concrete_fields
                 if field.column}
    columns = ", ".join(connection.ops.quote_name(column_of[name])
                        for name in ("id", "user", "digest"))
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {columns}", params)
        return [tuple(row) for row in cursor.fetchall()]


def revoke_replaced_sessions(user_pk: object, appid: str, surface: str) -> list[str]:
    """``SINGLE_SESSION``: revoke the sessions a login in ``appid`` on ``surface`` replaces
    (a browser logged in by scanning does not log the scanning phone out); their digests.
    The cache is left to the login's own write, whose new generation voids the user's old
    entries (see ``store.issue``)."""
    rows = _revoke_live_sessions_of(user_pk, appid, surface)
    _announce(rows, RevokeReason.SINGLE_SESSION)
    return [digest for _, _, digest in rows]


def _mark_revoked(queryset: Any, reason: str) -> list[tuple[int, Any, str]]:
    """Mark the queryset's live sessions revoked in the database; their (pk, user, digest).
    Which ones are live is the primary's answer: a replica may not have them yet."""
    alias = primary(WxSession)
    rows = list(queryset.using(alias).filter(revoked_at__isnull=True)
                .values_list("pk", "user_id", "digest"))
    if rows:
        WxSession.objects.using(alias).filter(pk__in=[pk for pk, _, _ in rows],
                                 revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoke_reason=reason
        )
    return rows


def _revoke_rows(queryset: Any, reason: str) -> list[str]:
    """Revoke the queryset's live sessions; once committed, the cache forgets them and their
    users' generations. Their digests."""
    rows = _mark_revoked(queryset, reason)
    if rows:
        names = [entry_name("s", u, digest_key(d)) for _, u, d in rows] + \
            [entry_name(kind, u) for u in {u for _, u, _ in rows} for kind in ("n", "u")]
        record(names)
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
    live = queryset.using(primary(WxSession)).filter(revoked_at__isnull=True)
    for pks in pk_batches(live, batch_size):
        with transaction.atomic():
            count = revoke_sessions(WxSession.objects.filter(pk__in=pks), reason)
        total += count
        if progress is not None:
            progress(count)
    return total


def forget_user(user_pk: object) -> None:
    """Void the user's cache entries once the transaction commits (the user was saved or
    deleted), so ``is_active`` and deletions take effect on the next request."""
    record([entry_name("n", user_pk), entry_name("u", user_pk)])
