"""Revoke-all of one user and the purge of expired rows, as the sessions table grows."""

from __future__ import annotations

import io
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from bench.harness import APPID, log_in, summary
from django_wxlogin.models import RevokeReason, WxSession
from django_wxlogin.sessions import store
from django_wxlogin.sessions.entries import entry_name
from django_wxlogin.sessions.revocation import revoke_user
from django_wxlogin.sessions.tokens import digest_key, user_reference
from django_wxlogin.wechat import client as wechat


def seed(total: int) -> int:
    """``total`` sessions of ten each per filler user, half of them expired 40 days ago, by
    SQL; their cache entries by pipelined SETs. Returns how many rows are purgeable."""
    model = get_user_model()
    owners = max(1, total // 10)
    table, users_table = WxSession._meta.db_table, model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
        cursor.execute(f"DELETE FROM {users_table} WHERE username LIKE %s", ["filler%"])
        cursor.execute(
            f"INSERT INTO {users_table} (password, is_superuser, username, first_name, "
            "last_name, email, is_staff, is_active, date_joined) "
            "SELECT '!', false, 'filler' || g, '', '', '', false, true, now() "
            "FROM generate_series(1, %s) g", [owners])
        cursor.execute(
            f"INSERT INTO {table} (user_id, digest, appid, created_at, expires_at, "
            "last_seen_at, revoke_reason, user_agent, method) "
            "SELECT u.id, encode(sha256(('s' || g)::text::bytea), 'hex'), %s, now(), "
            "CASE WHEN g %% 2 = 0 THEN now() - interval '40 days' "
            "ELSE now() + interval '7 days' END, now(), '', '', 'wechat' "
            f"FROM generate_series(0, %s - 1) g JOIN (SELECT id, row_number() OVER () - 1 "
            f"AS n FROM {users_table} WHERE username LIKE %s) u ON u.n = g / 10",
            [APPID, total, "filler%"])
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"SELECT digest, user_id FROM {table} WHERE expires_at > now()")
        live = cursor.fetchall()
    raw = cache.client.get_client()
    raw.flushdb()
    value = b"n" * 12 + b"\0" * 20 + APPID.encode()
    for start in range(0, len(live), 20000):
        pipeline = raw.pipeline(transaction=False)
        for digest, user_pk in live[start:start + 20000]:
            pipeline.set(cache.make_key(entry_name("s", user_pk, digest_key(digest))), value,
                         ex=604800)
        pipeline.execute()
    return total - len(live)


def bench_scaling(client: wechat.WeChatClient, sizes: list[int]) -> list[dict[str, Any]]:
    """Revoke-all for one user (10 live, cached sessions) and a purge of expired rows, as the
    table grows."""
    rows = []
    for total in sizes:
        started = time.perf_counter()
        purgeable = seed(total)
        seeded = time.perf_counter() - started
        timings = []
        with override_settings(WXLOGIN={**settings.WXLOGIN, "SINGLE_SESSION": False}):
            for target in range(10):
                name = f"target{total}x{target}"
                tokens = [log_in(client, name, serial).token for serial in range(10)]
                for token in tokens:
                    store.authenticate(token)
                user_pk = user_reference(tokens[0])
                started = time.perf_counter()
                with transaction.atomic():
                    revoked = revoke_user(user_pk, RevokeReason.LOGOUT_ALL)
                timings.append(time.perf_counter() - started)
                assert revoked == 10
        started = time.perf_counter()
        call_command("wxlogin_purge", "--days", "30", stdout=io.StringIO())
        purge = time.perf_counter() - started
        rows.append({"sessions": total, "seed_s": seeded, "revoke_all_ms": summary(timings) * 1e3,
                     "purged": purgeable, "purge_s": purge,
                     "purge_rows_per_s": purgeable / purge if purge else 0.0})
        print(f"  {total:>9,} sessions: revoke-all {rows[-1]['revoke_all_ms']:.2f} ms, "
              f"purge {purgeable:,} rows in {purge:.1f} s", flush=True)
    return rows
