"""Fixtures: the fake WeChat over loopback HTTP, the real Redis, API clients."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.connection
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from django_wxlogin import cache as wxlogin_cache
from django_wxlogin.sessions import local, outbox
from django_wxlogin.wechat.fake import FakeWeChat

from .deployments import RedisClusterNodes, redis_at, running
from .services import RedisServer

_codes = itertools.count(1)

# More mini programs the fake WeChat knows, for the multi-app tests.
SHOP = {"APPID": "wxtestshop000002", "SECRET": "shop-appsecret-never-logged", "NAME": "shop"}
BLOG = {"APPID": "wxtestblog000003", "SECRET": "blog-appsecret-never-logged", "NAME": "blog"}
# Apps of the other kinds, for the web and app login tests (tests/web/, tests/mobile/).
OFFICIAL_ACCOUNT = {"APPID": "wxtestoa00000005", "SECRET": "oa-appsecret-never-logged",
                    "NAME": "oa", "KIND": "official_account"}
WEBSITE = {"APPID": "wxtestweb0000004", "SECRET": "web-appsecret-never-logged", "NAME": "site",
           "KIND": "website"}
MOBILE_APP = {"APPID": "wxtestmob0000006", "SECRET": "mob-appsecret-never-logged", "NAME": "app",
              "KIND": "mobile_app"}


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChat]:
    apps = {settings.WXLOGIN["APPID"]: settings.WXLOGIN["SECRET"],
            **{app["APPID"]: app["SECRET"]
               for app in (SHOP, BLOG, OFFICIAL_ACCOUNT, WEBSITE, MOBILE_APP)}}
    with FakeWeChat(apps) as fake:
        settings.WXLOGIN["API_BASE_URL"] = settings.WXLOGIN["OPEN_BASE_URL"] = fake.url
        yield fake


@pytest.fixture(autouse=True)
def _clean_cache(fake_wechat: FakeWeChat, monkeypatch: Any) -> Iterator[None]:
    """Every test starts with an empty session cache (the Redis DB is the suite's own), which
    no earlier test's outage has this process leaving alone."""
    monkeypatch.setattr(wxlogin_cache, "_down_until", [0.0])
    # This process looks at the outbox of revocations only when a test asks (tests/sessions/
    # test_outbox.py): query counts do not depend on when the interval last ran out.
    monkeypatch.setattr(outbox, "_next_check", [float("inf")])
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def fresh_code(user: str = "alice") -> str:
    """A code the fake WeChat has not seen yet, for ``user``."""
    return f"{user}.{next(_codes)}"


@pytest.fixture
def login(api: APIClient) -> Callable[..., Any]:
    """POST login/ with a fresh code for ``user``; returns the response."""

    def do_login(user: str = "alice", client: APIClient | None = None, **extra: Any) -> Any:
        return (client or APIClient()).post(
            "/wx/login/", {"code": fresh_code(user)}, format="json", **extra
        )

    return do_login


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def log_in(user: str = "alice", path: str = "/wx/login/") -> tuple[str, str]:
    """Log ``user`` in; its token and the code used (the fake's session_key derives from it)."""
    code = fresh_code(user)
    response = APIClient().post(path, {"code": code}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"], code


@pytest.fixture
def private_redis(tmp_path: Any, settings: Any, monkeypatch: Any) -> Iterator[RedisServer]:
    """The session cache on a redis-server of this test's own. Its outage warnings are not
    held back by an earlier test's (one per kind every ten seconds per process)."""
    monkeypatch.setattr(wxlogin_cache, "_last_warned", {})
    settings.WXLOGIN = {**settings.WXLOGIN, "CACHE_RETRY_AFTER": 0.2}  # back within the test
    server = RedisServer(str(tmp_path))
    server.start()
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": server.url,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }}
    yield server
    server.kill()


@pytest.fixture
def fresh_window() -> Iterator[None]:
    """The clock at the top of the next hour, running: throttles count in fixed windows of the
    clock, so a test that exhausts a rate must not straddle a window's end."""
    with time_machine.travel((int(time.time()) // 3600 + 1) * 3600, tick=True):
        yield


_COMMAND = re.compile(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n")


@pytest.fixture
def sent(monkeypatch: Any) -> list[list[str]]:
    """The commands of each round trip to Redis, e.g. ``[["MGET"]]`` (a spy, not a fake)."""
    trips: list[list[str]] = []
    original = redis.connection.AbstractConnection.send_packed_command
    report = local.report_key().encode()  # the in-process layer's counters, on its own clock

    def spy(self: Any, command: Any, check_health: bool = True) -> Any:
        raw = b"".join(command) if isinstance(command, list) else bytes(command)
        if report not in raw:
            trips.append([name.decode().upper() for name in _COMMAND.findall(raw)])
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", spy)
    return trips


def run_together(count: int, task: Callable[[], Any]) -> list[Any]:
    """``task`` in ``count`` threads released at the same instant (each with its own database
    connection); their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(task())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


_SCHEMES = {"postgresql": "postgres", "mysql": "mysql"}


def database_url() -> str:
    """This test's database as ``TEST_DATABASE_URL`` names it, for processes of its own."""
    db = connection.settings_dict
    return f"{_SCHEMES[connection.vendor]}://{db['USER']}:{db['PASSWORD'] or ''}@" \
        f"{db['HOST']}:{db['PORT']}/{db['NAME']}"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run a command in a real process against this test's database (and the cache named by
    ``TEST_REDIS_URL`` in ``env``, if given), as an operator would."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "TEST_DATABASE_URL": database_url(), **env}
    return subprocess.run([sys.executable, "-m", "django", *args], env=env, text=True,
                          capture_output=True, timeout=60, check=False)
@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: Any) -> Iterator[RedisClusterNodes]:
    """A 3-master Redis Cluster with a replica per master, shared by the tests that need one
    (some fail masters over or move slots: nothing may assume which node serves what)."""
    with running(RedisClusterNodes(tmp_path_factory.mktemp("cluster"))) as cluster:
        yield cluster


def cluster_caches(cluster: RedisClusterNodes) -> dict[str, Any]:
    """``CACHES`` with the default cache on ``cluster``."""
    return {"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": ",".join(cluster.urls[:2]),
        "OPTIONS": {"CLIENT_CLASS": "django_wxlogin.cache_clients.RedisClusterClient",
                    "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }}


@pytest.fixture
def cluster_cache(redis_cluster: RedisClusterNodes, settings: Any) -> Iterator[Any]:
    """The default cache on the shared Redis Cluster, empty. Emptied through each master as
    it is now: after a test's failover, the cache's client may still think a replica is one."""
    settings.CACHES = cluster_caches(redis_cluster)
    cache.clear()
    yield cache
    for port in redis_cluster.masters():
        redis_at(port).flushdb()
