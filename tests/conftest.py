"""Fixtures: the fake WeChat over loopback HTTP, the real Redis, API clients."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from django_wxlogin.fake_wechat import FakeWeChat

_codes = itertools.count(1)

# More mini programs the fake WeChat knows, for the multi-app tests.
SHOP = {"APPID": "wxtestshop000002", "SECRET": "shop-appsecret-never-logged", "NAME": "shop"}
BLOG = {"APPID": "wxtestblog000003", "SECRET": "blog-appsecret-never-logged", "NAME": "blog"}


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChat]:
    apps = {settings.WXLOGIN["APPID"]: settings.WXLOGIN["SECRET"],
            SHOP["APPID"]: SHOP["SECRET"], BLOG["APPID"]: BLOG["SECRET"]}
    with FakeWeChat(apps) as fake:
        settings.WXLOGIN["API_BASE_URL"] = fake.url
        yield fake


@pytest.fixture(autouse=True)
def _clean_cache(fake_wechat: FakeWeChat) -> Iterator[None]:
    """Every test starts with an empty session cache (the Redis DB is the suite's own)."""
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


class RedisServer:
    """A redis-server of the test's own, on a free port, that the test may stop and restart."""

    def __init__(self, directory: str) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.directory = directory
        self.process: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Any:
        import redis

        return redis.Redis(port=self.port, socket_timeout=2)

    def start(self) -> None:
        import subprocess
        import time

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.directory, "--dbfilename", "dump.rdb"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                if self.client().ping():
                    return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """Stop it dead, keeping nothing but what an earlier SAVE wrote."""
        self.process.kill()
        self.process.wait()


@pytest.fixture
def private_redis(tmp_path: Any, settings: Any) -> Iterator[RedisServer]:
    """The session cache on a redis-server of this test's own."""
    server = RedisServer(str(tmp_path))
    server.start()
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": server.url,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }}
    yield server
    server.kill()
