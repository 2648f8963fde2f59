"""Fixtures: the fake WeChat over loopback HTTP, the real Redis, API clients."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from django_wxlogin import store
from django_wxlogin.fake_wechat import FakeWeChat

from .services import RedisServer

_codes = itertools.count(1)


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChat]:
    with FakeWeChat({settings.WXLOGIN["APPID"]: settings.WXLOGIN["SECRET"]}) as fake:
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


@pytest.fixture
def private_redis(tmp_path: Any, settings: Any, monkeypatch: Any) -> Iterator[RedisServer]:
    """The session cache on a redis-server of this test's own. Its outage warnings are not
    held back by an earlier test's (the store logs one per ten seconds per process)."""
    monkeypatch.setattr(store, "_last_warning", [0.0])
    server = RedisServer(str(tmp_path))
    server.start()
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": server.url,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }}
    yield server
    server.kill()
