"""What the benchmarks share: Django on the benchmark settings, the database and cache set-up,
counting queries and Redis round trips, the interleaved timing loop, and gunicorn on loopback.

Importing it starts Django (``bench.settings`` unless ``DJANGO_SETTINGS_MODULE`` says
otherwise).
"""

from __future__ import annotations

import contextlib
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from django_wxlogin import users
from django_wxlogin.wechat import client as wechat

APPID = settings.WXLOGIN["APPID"]
_COMMAND = re.compile(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n")


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



# --- the timing loop ------------------------------------------------------------------------

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



# --- gunicorn on loopback -------------------------------------------------------------------

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
