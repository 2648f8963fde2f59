"""The example project under gunicorn (two workers) on PostgreSQL and a Redis of its own, with
message push on (``WXLOGIN_PUSH``): the fake WeChat pushes encrypted events in JSON and XML,
and a person closes their account over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from django.db import connection

from django_wxlogin.wechat.fake import FakeWeChat, openid_for, unionid_for

from ..deployed import TIMEOUT, App, bearer, database, serve, status
from ..deployed import login as deployed_login
from ..push.conftest import AES_KEY, TOKEN, event
from ..services import RedisServer

APPID = "wx0000000000000000"  # the example project's default


@pytest.fixture(scope="module")
def example(tmp_path_factory: Any) -> Iterator[tuple[App, str, RedisServer]]:
    directory = tmp_path_factory.mktemp("example-push")
    redis_server = RedisServer(str(directory))
    redis_server.start()
    try:
        with database(connection.settings_dict, "_push") as url:
            env = {"DATABASE_URL": url, "REDIS_URL": redis_server.url,
                   "WXLOGIN_PUSH": f"main:{TOKEN}:{AES_KEY}"}
            with serve(Path(directory), env) as app:
                yield app, url, redis_server
    finally:
        redis_server.kill()


def found_in_database(url: str, needles: list[str]) -> list[str]:
    found = []
    with psycopg.connect(url) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            rows = conn.execute(f'SELECT t::text FROM "{table}" t').fetchall()
            text = "\n".join(row for (row,) in rows)
            found += [f"{table}: {n}" for n in needles if n in text]
    return found


def found_in_redis(server: RedisServer, needles: list[str]) -> list[str]:
    client, found = server.client(), []
    for name in client.scan_iter(count=1000):
        blob = name + (client.get(name) or b"" if client.type(name) == b"string" else b"")
        found += [f"{name!r}: {n}" for n in needles if n.encode() in blob]
    return found


def push(app: App, message: dict[str, Any], **kwargs: Any) -> requests.Response:
    with FakeWeChat() as fake:
        return fake.push(f"{app.url}/wx/push/main/", appid=APPID, message=message,
                         token=TOKEN, encoding_aes_key=AES_KEY, **kwargs)


def test_url_verification(example):
    app, _, _ = example
    with FakeWeChat() as fake:
        answer = fake.verify_url(f"{app.url}/wx/push/main/", TOKEN, echostr="777")
    assert (answer.status_code, answer.text) == (200, "777")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_closed_wechat_account_is_out_on_every_worker_and_erased(example, fmt):
    app, url, redis_server = example
    user = f"carol{fmt}"
    token = deployed_login(app.url, user)
    assert all(status(app.url, token) == 200 for _ in range(6))  # cached by both workers
    openid, unionid = openid_for(APPID, user), unionid_for(user) or ""
    assert found_in_database(url, [openid])  # the search finds it while it exists
    message = event("user_authorization_cancellation", OpenID=openid, AppID=APPID)
    # The console's format is JSON: an XML push is not a message there (and changes nothing).
    if fmt == "xml":
        refused = push(app, message, format="xml")
        assert refused.status_code == 400 and status(app.url, token) == 200
    answer = push(app, message)
    assert (answer.status_code, answer.text) == (200, "success")
    assert all(status(app.url, token) == 401 for _ in range(6))
    assert found_in_database(url, [openid, unionid]) == []
    assert found_in_redis(redis_server, [openid, unionid]) == []
    again = push(app, message)  # WeChat's retry
    assert again.text == "success"


def test_closing_an_account_over_http(example):
    app, _, _ = example
    token = deployed_login(app.url, "dave")
    answer = requests.post(f"{app.url}/wx/account/delete/", headers=bearer(token),
                           json={"code": "dave.proof"}, timeout=TIMEOUT)
    assert answer.status_code == 202 and answer.json()["state"] == "pending"
    assert all(status(app.url, token) == 401 for _ in range(4))
    back = requests.post(f"{app.url}/wx/login/", json={"code": "dave.back"}, timeout=TIMEOUT)
    assert back.json()["closure_cancelled"] is True
