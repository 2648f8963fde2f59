"""The guarantee of the in-process layer, under gunicorn: a logout on one worker, followed at
once by a request to every worker, which had all just served the token from memory, is
refused by each of them, every time. The workers are asked at the same instant.

``WXLOGIN_GUARANTEE_ITERATIONS`` sets how many logouts (default 700: 2100 refusals, 4200
warm requests, about 30 s on a quiet 2-core machine; CI runs the default).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from django_wxlogin.sessions import store

from ..conftest import database_url
from ..services import free_port

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent.parent
WORKERS = 3
ITERATIONS = int(os.environ.get("WXLOGIN_GUARANTEE_ITERATIONS", "700"))


@contextlib.contextmanager
def gunicorn(redis_url: str) -> Iterator[int]:
    """The test project under gunicorn (gthread workers, keep-alive), on this test's database
    and Redis; its port."""
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT),
           "TEST_DATABASE_URL": database_url(), "TEST_REDIS_URL": redis_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tests.worker_wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(WORKERS), "--worker-class", "gthread",
         "--threads", "2", "--keep-alive", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE,
    )
    try:
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


def one_connection_per_worker(port: int, token: str) -> list[http.client.HTTPConnection]:
    """Keep-alive connections until each worker holds one (gunicorn decides who accepts; on a
    loaded machine the last worker may take a while to boot)."""
    by_worker: dict[str, http.client.HTTPConnection] = {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            status, worker, _ = get(connection, token)
        except OSError:  # not listening yet
            connection.close()
            time.sleep(0.1)
            continue
        assert status == 200
        if worker in by_worker:
            connection.close()
            time.sleep(0.05)
        else:
            by_worker[worker] = connection
        if len(by_worker) == WORKERS:
            return list(by_worker.values())
    raise AssertionError(f"reached {len(by_worker)} of {WORKERS} workers")


def request(connection: http.client.HTTPConnection, method: str, path: str,
            token: str) -> tuple[int, str, int]:
    connection.request(method, path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    response.read()
    return response.status, response.headers["X-Worker"], int(response.headers["X-Local-Hits"])


def get(connection: http.client.HTTPConnection, token: str) -> tuple[int, str, int]:
    return request(connection, "GET", "/whoami/", token)


def issue(user: object) -> str:
    with transaction.atomic():
        token, _ = store.issue(user)
    return token


def test_a_logout_on_one_worker_is_refused_at_once_by_every_worker(private_redis):
    user = get_user_model().objects.create(username="guarantee")
    refused = from_memory = 0
    with gunicorn(private_redis.url) as port, ThreadPoolExecutor(WORKERS) as pool:
        connections = one_connection_per_worker(port, issue(user))

        def everywhere(token: str) -> list[tuple[int, str, int]]:
            """A GET on every worker at the same time."""
            return list(pool.map(lambda connection: get(connection, token), connections))

        for iteration in range(ITERATIONS):
            token = issue(user)
            first, second = everywhere(token), everywhere(token)  # Redis, then memory
            assert {status for status, _, _ in first + second} == {200}
            from_memory += sum(b[2] - a[2] for a, b in zip(first, second, strict=True))
            logout = connections[iteration % WORKERS]
            assert request(logout, "POST", "/wx/logout/", token)[0] == 204
            for status, worker, _ in everywhere(token):
                assert status == 401, f"iteration {iteration}: worker {worker} accepted"
                refused += 1
    print(f"\n{ITERATIONS} logouts, {refused} requests refused, {from_memory} of "
          f"{ITERATIONS * WORKERS} warm requests served from memory")
    assert refused == ITERATIONS * WORKERS
    assert from_memory >= ITERATIONS * WORKERS // 2  # the layer was on and in use
