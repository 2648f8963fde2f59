"""Benchmark django-wxlogin against DRF TokenAuthentication, knox and simplejwt, side by side.

    python3 -m pip install -e ".[bench]" && python3 bench/run.py [--quick]

Everything runs in one go on one PostgreSQL database and one Redis database (``BENCH_*`` in
bench/settings.py; the Redis database is flushed), so the numbers that matter are the ratios
between schemes measured in the same run, interleaved round by round. Writes
bench/results/results.md, results.json and chart.png.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, RequestFactory, override_settings
from knox.models import AuthToken
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework_simplejwt.tokens import AccessToken

from bench.urls import RAW_KEY, SCHEMES
from django_wxlogin import users
from django_wxlogin.models import RevokeReason, WxSession
from django_wxlogin.sessions import store
from django_wxlogin.sessions.entries import entry_name
from django_wxlogin.sessions.revocation import revoke_user
from django_wxlogin.sessions.tokens import digest_key, user_reference
from django_wxlogin.wechat import client as wechat
from django_wxlogin.wechat.fake import FakeWeChat

APPID = settings.WXLOGIN["APPID"]
LABELS = {
    "raw_redis": "one raw Redis GET (floor)",
    "wxlogin": "django-wxlogin WxTokenAuthentication",
    "wxlogin_redis": "django-wxlogin, LOCAL_CACHE off (one MGET per request)",
    "wxlogin_many": "django-wxlogin, user with 100 live sessions",
    "drf_token": "DRF TokenAuthentication",
    "knox": "django-rest-knox TokenAuthentication",
    "simplejwt": "simplejwt JWTAuthentication",
    "simplejwt_stateless": "simplejwt JWTStatelessUserAuthentication (no revocation)",
}
_COMMAND = re.compile(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n")


# --- set-up ---------------------------------------------------------------------------------

def prepare_database() -> None:
    """Create the benchmark database if needed, migrate it, empty its tables and the cache."""
    db = settings.DATABASES["default"]
    import psycopg

    with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                         user=db["USER"], password=db["PASSWORD"] or None, dbname="postgres",
                         autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               [db["NAME"]]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    cache.client.get_client().flushdb()


def log_in(client: wechat.WeChatClient, name: str, serial: int) -> users.Login:
    identity = client.code2session(f"{name}.{serial}")
    return users.login(identity, appid=APPID)


class Spy:
    """Counts Redis round trips (one per command or pipeline sent) and names the commands."""

    def __init__(self) -> None:
        self.round_trips = 0
        self.commands: list[str] = []

    @contextlib.contextmanager
    def watching(self) -> Iterator[Spy]:
        original = redis.connection.AbstractConnection.send_packed_command

        def spy(conn: Any, command: Any, check_health: bool = True) -> Any:
            raw = b"".join(command) if isinstance(command, list) else bytes(command)
            self.round_trips += 1
            self.commands += [name.decode().upper() for name in _COMMAND.findall(raw)]
            return original(conn, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = spy
        try:
            yield self
        finally:
            redis.connection.AbstractConnection.send_packed_command = original


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements sent meanwhile (savepoints included; BEGIN and COMMIT are not sent
    through a cursor, so not counted)."""
    seen: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def summary(values: list[float]) -> float:
    return statistics.median(values)


# --- authenticate() in process --------------------------------------------------------------

def credentials(client: wechat.WeChatClient) -> tuple[Any, dict[str, str]]:
    """One user with a credential for every scheme; the Authorization header of each."""
    login = log_in(client, "bench", 0)
    user = login.wxuser.user
    access = str(AccessToken.for_user(user))
    headers = {
        "wxlogin": f"Bearer {login.token}",
        "wxlogin_redis": f"Bearer {login.token}",
        "drf_token": f"Token {Token.objects.create(user=user).key}",
        "knox": f"Token {AuthToken.objects.create(user)[1]}",
        "simplejwt": f"Bearer {access}",
        "simplejwt_stateless": f"Bearer {access}",
    }
    with override_settings(WXLOGIN={**settings.WXLOGIN, "SINGLE_SESSION": False}):
        many = log_in(client, "many", 0)
        for serial in range(1, 100):
            log_in(client, "many", serial)
    headers["wxlogin_many"] = f"Bearer {many.token}"
    cache.client.get_client().set(cache.make_key(RAW_KEY), b"x" * 64)
    return user, headers


def authenticate_calls(headers: dict[str, str]) -> dict[str, Callable[[], Any]]:
    factory = RequestFactory()
    calls: dict[str, Callable[[], Any]] = {}
    for name, header in headers.items():
        auth_class = SCHEMES["wxlogin" if name == "wxlogin_many" else name]
        request = Request(factory.get("/", HTTP_AUTHORIZATION=header))
        calls[name] = (lambda a, r: lambda: a.authenticate(r))(auth_class(), request)
    raw, key = cache.client.get_client(), cache.make_key(RAW_KEY)
    calls["raw_redis"] = lambda: raw.get(key)
    return calls


SPIED_CALLS = 1000  # enough to see the in-process layer's pings, one per half heartbeat


def bench_authenticate(calls: dict[str, Callable[[], Any]], rounds: int,
                       per_round: int) -> dict[str, Any]:
    """Median µs per call over interleaved rounds, with queries and round trips per call."""
    for call in calls.values():
        for _ in range(50):
            call()  # warm: caches filled, connections open, last-seen written
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        order = list(calls.items())
        random.shuffle(order)
        for name, call in order:
            started = time.perf_counter()
            for _ in range(per_round):
                call()
            timings[name].append((time.perf_counter() - started) / per_round * 1e6)
    results: dict[str, Any] = {}
    for name, call in calls.items():
        spy = Spy()
        with statements() as queries, spy.watching():
            for _ in range(SPIED_CALLS):
                call()
        results[name] = {
            "us": summary(timings[name]),
            "queries": len(queries) / SPIED_CALLS,
            "round_trips": spy.round_trips / SPIED_CALLS,
            "rounds": timings[name],
        }
    for name in calls:
        results[name]["vs_wxlogin"] = summary(
            [t / w for t, w in zip(timings[name], timings["wxlogin"], strict=True)])
    return results


# --- HTTP through gunicorn ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn() -> Iterator[int]:
    """One gunicorn worker (one thread, keep-alive) on loopback; stopped on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread", "--threads", "1",
         "--keep-alive", "60", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def bench_http(headers: dict[str, str], requests_per_scheme: int, budget: float
               ) -> dict[str, Any]:
    """A fixed number of sequential keep-alive GETs per scheme, interleaved in rounds, within
    a time budget: requests/s and p50/p99 latency."""
    paths = {name: f"/{name}/" for name in (*SCHEMES, "raw_redis")}
    latencies: dict[str, list[float]] = {name: [] for name in paths}
    with gunicorn() as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        def get(name: str) -> None:
            conn.request("GET", paths[name], headers={"Authorization": headers.get(name, "")})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{name}: HTTP {response.status}")

        for name in paths:
            for _ in range(50):
                get(name)
        deadline = time.monotonic() + budget
        batch = max(1, requests_per_scheme // 20)
        while min(map(len, latencies.values())) < requests_per_scheme \
                and time.monotonic() < deadline:
            order = list(paths)
            random.shuffle(order)
            for name in order:
                for _ in range(batch):
                    started = time.perf_counter()
                    get(name)
                    latencies[name].append(time.perf_counter() - started)
        conn.close()
    results = {}
    for name, values in latencies.items():
        values.sort()
        results[name] = {
            "requests": len(values),
            "rps": len(values) / sum(values),
            "p50_ms": values[len(values) // 2] * 1e3,
            "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))] * 1e3,
        }
    return results


# --- login ----------------------------------------------------------------------------------

def bench_login(client: wechat.WeChatClient, count: int) -> dict[str, Any]:
    """Returning users logging in: queries and cache round trips of ``users.login`` and of
    the whole ``POST login/``, and logins/s of the latter against the fake WeChat."""
    names = [f"returning{i}" for i in range(20)]
    for name in names:
        log_in(client, name, 0)
    spy = Spy()
    with statements() as queries, spy.watching():
        log_in(client, names[0], 1)
    http_client = Client()
    serial = iter(range(2, 10**9))

    def post() -> None:
        code = f"{random.choice(names)}.{next(serial)}"
        response = http_client.post("/wx/login/", {"code": code}, content_type="application/json")
        if response.status_code != 200:
            raise RuntimeError(f"login: HTTP {response.status_code}")

    post()
    view_spy = Spy()
    with statements() as view_queries, view_spy.watching():
        post()
    started = time.perf_counter()
    for _ in range(count):
        post()
    elapsed = time.perf_counter() - started
    return {
        "queries": len(queries),
        "statements": [s[:60] for s in queries],
        "round_trips": spy.round_trips,
        "commands": spy.commands,
        "view_queries": len(view_queries),
        "view_round_trips": view_spy.round_trips,
        "view_commands": view_spy.commands,
        "logins_per_s": count / elapsed,
    }


# --- memory ---------------------------------------------------------------------------------

def bench_memory(client: wechat.WeChatClient) -> dict[str, Any]:
    """MEMORY USAGE of what a session adds, for a user with a 7-digit primary key and an
    18-character appid (key lengths decide Redis's allocation classes)."""
    user = get_user_model().objects.create(pk=1234567, username="wx_" + "0" * 24)
    user.set_unusable_password()
    user.save()
    realistic = "wx0123456789abcdef"
    with transaction.atomic():
        _, row = store.issue(user, appid=realistic)
    with transaction.atomic():
        _, second = store.issue(user, appid=realistic)  # SINGLE_SESSION: replaces the first
    raw = cache.client.get_client()

    keys = {kind: cache.make_key(entry_name(kind, user.pk, key)) for kind, key in
            (("s", digest_key(second.digest)), ("n", ""), ("u", ""))}
    sizes = {kind: raw.memory_usage(key, samples=0) or 0 for kind, key in keys.items()}
    lengths = {kind: raw.strlen(key) for kind, key in keys.items()}
    return {"bytes": sizes, "value_lengths": lengths, "per_session": sizes["s"],
            "per_user": sizes["n"] + sizes["u"], "one_session_user": sum(sizes.values()),
            "first_session_deleted": not raw.exists(
                cache.make_key(entry_name("s", user.pk, digest_key(row.digest))))}


# --- scaling: revoke-all and purge ----------------------------------------------------------

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


# --- report ---------------------------------------------------------------------------------

def environment() -> dict[str, str]:
    import platform

    import django_redis
    import knox
    import rest_framework
    import rest_framework_simplejwt

    info = cache.client.get_client().info("server")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "python": platform.python_version(), "django": django.get_version(),
        "djangorestframework": rest_framework.__version__,
        "django-rest-knox": getattr(knox, "__version__", "?"),
        "simplejwt": getattr(rest_framework_simplejwt, "__version__", "?"),
        "django-redis": django_redis.__version__, "redis-py": redis.__version__,
        "hiredis": str(redis.utils.HIREDIS_AVAILABLE), "redis": info["redis_version"],
        "postgresql": postgres, "cpus": str(os.cpu_count()),
    }


def markdown(results: dict[str, Any]) -> str:
    auth, http_, login, memory = (results[k] for k in ("authenticate", "http", "login", "memory"))
    wx, raw = auth["wxlogin"]["us"], auth["raw_redis"]["us"]
    lines = [
        "# django-wxlogin benchmark",
        "",
        f"{results['date']}, {results['mode']} run; "
        + ", ".join(f"{k} {v}" for k, v in results["environment"].items()) + ".",
        "Medians of interleaved rounds in one run: compare the ratios, not the absolute "
        "times (the machine is shared and noisy).",
        "",
        "## `authenticate()` per call, warm, in process",
        "",
        "| scheme | µs/call | × django-wxlogin | DB queries/call | Redis round trips/call |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("raw_redis", "wxlogin", "wxlogin_redis", "wxlogin_many", "drf_token", "knox",
                 "simplejwt", "simplejwt_stateless"):
        row = auth[name]
        lines.append(f"| {LABELS[name]} | {row['us']:.1f} | {row['vs_wxlogin']:.2f} | "
                     f"{row['queries']:g} | {row['round_trips']:.3g} |")
    lines += [
        "",
        f"django-wxlogin is {auth['drf_token']['vs_wxlogin']:.1f}× faster than DRF "
        f"TokenAuthentication, {auth['knox']['vs_wxlogin']:.1f}× faster than knox, "
        f"{auth['simplejwt']['vs_wxlogin']:.1f}× faster than simplejwt JWTAuthentication, and "
        f"takes {1 / auth['raw_redis']['vs_wxlogin']:.2f}× the time of one raw Redis GET "
        f"({wx:.1f} vs {raw:.1f} µs). Served from the in-process layer, it takes "
        f"{wx / auth['simplejwt_stateless']['us']:.2f}× the time of simplejwt's stateless "
        f"class, which cannot revoke; with LOCAL_CACHE off, "
        f"{auth['wxlogin_redis']['us'] / auth['simplejwt_stateless']['us']:.2f}×.",
        "",
        "## Authenticated GET through gunicorn (one gthread worker, keep-alive, loopback)",
        "",
        "| scheme | requests | requests/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("raw_redis", "wxlogin", "wxlogin_redis", "drf_token", "knox", "simplejwt",
                 "simplejwt_stateless"):
        row = http_[name]
        label = LABELS[name] if name != "raw_redis" else "no authentication, one Redis GET"
        lines.append(f"| {label} | {row['requests']} | {row['rps']:.0f} | "
                     f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} |")
    lines += [
        "",
        "## Login of a returning user (SINGLE_SESSION)",
        "",
        f"- `users.login()`: {login['queries']} queries in one transaction: "
        + "; ".join(f"`{s}…`" for s in login["statements"]),
        f"- session cache: {login['round_trips']} round trips "
        f"({' '.join(login['commands'])}): the generation read before the commit, "
        "one compare-and-set after it",
        f"- whole `POST login/` (code lock, fake WeChat over keep-alive HTTP, serializers): "
        f"{login['view_queries']} queries, {login['view_round_trips']} Redis "
        f"round trips ({' '.join(login['view_commands'])}), "
        f"{login['logins_per_s']:.0f} logins/s in one process",
        "",
        "## Redis memory (`MEMORY USAGE`), 7-digit user id, 18-character appid",
        "",
        "| entry | value bytes | MEMORY USAGE |",
        "|---|---:|---:|",
        f"| `s:` the session (one per live session) | {memory['value_lengths']['s']} | "
        f"{memory['bytes']['s']} |",
        f"| `n:` the user's generation (one per user) | {memory['value_lengths']['n']} | "
        f"{memory['bytes']['n']} |",
        f"| `u:` the user (one per user) | {memory['value_lengths']['u']} | "
        f"{memory['bytes']['u']} |",
        "",
        f"Each live session adds {memory['per_session']} bytes; a user adds "
        f"{memory['per_user']} once, so a user with one session holds "
        f"{memory['one_session_user']} bytes. A new login deleted the session it replaced: "
        f"{memory['first_session_deleted']}.",
        "",
        "## Revoke-all and purge as the sessions table grows",
        "",
        "| sessions | revoke-all of one user (10 cached sessions), ms | expired rows purged "
        "| purge s | rows/s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in results["scaling"]:
        lines.append(f"| {row['sessions']:,} | {row['revoke_all_ms']:.2f} | {row['purged']:,} "
                     f"| {row['purge_s']:.1f} | {row['purge_rows_per_s']:,.0f} |")
    lines.append("")
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    auth, http_ = results["authenticate"], results["http"]
    names = ["raw_redis", "wxlogin", "simplejwt_stateless", "simplejwt", "drf_token", "knox"]
    short = {"raw_redis": "raw Redis\nGET", "wxlogin": "django-\nwxlogin",
             "simplejwt_stateless": "simplejwt\nstateless", "simplejwt": "simplejwt",
             "drf_token": "DRF\nToken", "knox": "knox"}
    colors = ["#999999", "#2a9d8f", "#bbbbbb", "#e9c46a", "#f4a261", "#e76f51"]
    figure, axes = plt.subplots(2, 2, figsize=(12, 9))
    ax = axes[0][0]
    bars = ax.bar([short[n] for n in names], [auth[n]["us"] for n in names], color=colors)
    ax.bar_label(bars, fmt="%.0f")
    ax.set_title("authenticate(), warm: µs per call (lower is better)")
    ax = axes[0][1]
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], [http_[n]["p50_ms"] for n in names], 0.4, label="p50",
           color="#2a9d8f")
    ax.bar([i + 0.2 for i in x], [http_[n]["p99_ms"] for n in names], 0.4, label="p99",
           color="#e76f51")
    ax.set_xticks(list(x), [short[n] for n in names])
    ax.set_title("GET through gunicorn: latency, ms (lower is better)")
    ax.legend()
    scaling = results["scaling"]
    sizes = [row["sessions"] for row in scaling]
    ax = axes[1][0]
    ax.plot(sizes, [row["revoke_all_ms"] for row in scaling], "o-", color="#2a9d8f")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_title("revoke-all of one user (10 sessions), ms, vs sessions in table")
    ax = axes[1][1]
    ax.plot(sizes, [row["purge_s"] for row in scaling], "o-", color="#e76f51")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title("purge of expired rows (half the table), s, vs sessions in table")
    for ax in axes[1]:
        ax.set_xlabel("sessions in the table")
    figure.suptitle(f"django-wxlogin vs DRF Token, knox, simplejwt ({results['date']})")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds and at most 100k sessions (a smoke run)")
    parser.add_argument("--max-sessions", type=int, default=1_000_000)
    args = parser.parse_args()
    quick = args.quick
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000)
             if n <= (100_000 if quick else args.max_sessions)]
    random.seed(1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    print("preparing the database", flush=True)
    prepare_database()
    with FakeWeChat({APPID: settings.WXLOGIN["SECRET"]}) as fake:
        settings.WXLOGIN["API_BASE_URL"] = fake.url
        client = wechat.client()
        _, headers = credentials(client)
        print("authenticate() in process", flush=True)
        auth = bench_authenticate(authenticate_calls(headers), rounds=40 if quick else 200,
                                  per_round=50)
        print("HTTP through gunicorn", flush=True)
        http_ = bench_http(headers, requests_per_scheme=300 if quick else 3000,
                           budget=60 if quick else 240)
        print("login", flush=True)
        login = bench_login(client, count=100 if quick else 500)
        print("memory", flush=True)
        memory = bench_memory(client)
        print("scaling", flush=True)
        scaling = bench_scaling(client, sizes)
    for row in auth.values():
        row.pop("rounds")
    results = {"date": time.strftime("%Y-%m-%d"), "mode": "quick" if quick else "full",
               "environment": environment(), "authenticate": auth, "http": http_,
               "login": login, "memory": memory, "scaling": scaling}
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "results.md").write_text(markdown(results))
    chart(results, RESULTS / "chart.png")
    cache.client.get_client().flushdb(asynchronous=True)  # a million keys
    print((RESULTS / "results.md").read_text())


if __name__ == "__main__":
    main()
