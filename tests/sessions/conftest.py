"""Helpers of the session tests: logins without HTTP, the cache's keys and entries, SQL seen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django_redis import get_redis_connection

from django_wxlogin import users
from django_wxlogin.wechat.client import client

from ..conftest import fresh_code


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The SQL statements sent through a cursor (BEGIN and COMMIT are not)."""
    seen: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def wechat_login(name: str = "alice") -> users.Login:
    """A WeChat login of ``name`` as the login view makes it, without HTTP."""
    identity = client().code2session(fresh_code(name))
    return users.login(identity, appid=django_settings.WXLOGIN["APPID"])


def token_of(login: Callable[..., Any], user: str = "alice") -> str:
    """The token of a login through the API (the ``login`` fixture)."""
    return login(user).json()["token"]


def cache_keys(pattern: str) -> list[bytes]:
    """The session cache's keys ``wxlogin:{<user>}:<pattern>`` of any user."""
    return get_redis_connection().keys(f"*wxlogin:{{*}}:{pattern}")


def raw_entries() -> dict[bytes, bytes]:
    """Every session cache entry (``n``, ``u`` and ``s``) by key."""
    connection = get_redis_connection()
    return {key: connection.get(key) for key in cache_keys("[snu]*")}
