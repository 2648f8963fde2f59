"""The shared access token: one per app, one refresher at a time, across processes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from rest_framework.test import APIClient

from django_wxlogin.wechat import access_token

from ..conftest import bearer, log_in

# Every test runs twice: as is, and with server-API security on (tests/wechat/conftest.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("security_mode")]
STABLE = "/cgi-bin/stable_token"
CLASSIC = "/cgi-bin/token"
PHONE_API = "/wxa/business/getuserphonenumber"
SECRET = "s3cr3t-appsecret-never-logged"


def _count(fake, path: str) -> int:
    return len(fake.calls(path))


def _phone(token: str, number: str, client: APIClient | None = None):
    return (client or APIClient()).post("/wx/phone/", {"code": f"phone.{number}"},
                                        format="json", **bearer(token))


def test_the_stable_token_is_fetched_once_then_shared_from_the_cache(fake_wechat):
    fake_wechat.expire_access_tokens()  # a new token, all 7200 seconds ahead of it
    stable, classic = _count(fake_wechat, STABLE), _count(fake_wechat, CLASSIC)
    manager = access_token.for_app()
    first = manager.get()
    assert access_token.for_app().get() == first
    assert _count(fake_wechat, STABLE) == stable + 1
    assert _count(fake_wechat, CLASSIC) == classic
    # Cached for WeChat's 7200 seconds less the 300-second margin, and not in the clear.
    assert 6890 <= cache.ttl(manager.key) <= 6900
    assert first not in str(cache.get(manager.key))


def test_the_margin_is_a_setting(settings, fake_wechat):
    fake_wechat.expire_access_tokens()
    settings.WXLOGIN = {**settings.WXLOGIN, "ACCESS_TOKEN_MARGIN": 7000}
    manager = access_token.for_app()
    manager.get()
    assert 190 <= cache.ttl(manager.key) <= 200


def test_the_classic_endpoint_is_an_option(settings, fake_wechat):
    settings.WXLOGIN = {**settings.WXLOGIN, "ACCESS_TOKEN_ENDPOINT": "classic"}
    stable, classic = _count(fake_wechat, STABLE), _count(fake_wechat, CLASSIC)
    token, _ = log_in()
    assert _phone(token, "13800000001").status_code == 200
    assert _phone(token, "13800000002").status_code == 200
    assert _count(fake_wechat, CLASSIC) == classic + 1
    assert _count(fake_wechat, STABLE) == stable


def test_after_wechat_drops_the_tokens_one_refresh_and_one_retry(fake_wechat):
    token, _ = log_in()
    assert _phone(token, "13800000003").status_code == 200
    fake_wechat.expire_access_tokens()
    stable, phone = _count(fake_wechat, STABLE), _count(fake_wechat, PHONE_API)
    response = _phone(token, "13800000004")
    assert response.status_code == 200, response.content
    assert _count(fake_wechat, STABLE) == stable + 1
    assert _count(fake_wechat, PHONE_API) == phone + 2  # 40001, then the retry
    assert _phone(token, "13800000005").status_code == 200
    assert _count(fake_wechat, STABLE) == stable + 1


def test_a_token_is_replaced_only_while_it_is_the_one_that_failed(fake_wechat):
    manager = access_token.for_app()
    current = manager.get()
    stable = _count(fake_wechat, STABLE)
    # Another process already replaced the token that failed for us: reuse its token.
    assert manager.refresh(failed="AT-an-older-token") == current
    assert _count(fake_wechat, STABLE) == stable
    fake_wechat.expire_access_tokens()
    fresh = manager.refresh(failed=current)
    assert fresh != current and manager.get() == fresh
    assert _count(fake_wechat, STABLE) == stable + 1


def test_ten_concurrent_calls_in_two_processes_refresh_a_stale_token_once(fake_wechat):
    token, _ = log_in()
    access_token.for_app().get()  # the cache now holds a token WeChat is about to drop
    fake_wechat.expire_access_tokens()
    stable = _count(fake_wechat, STABLE)

    worker = subprocess.Popen(  # a second Django process on the same database and Redis
        [sys.executable, "-m", "tests.phone_worker", json.dumps({
            "database": connection.settings_dict["NAME"], "fake_url": fake_wechat.url,
            "token": token, "codes": [f"phone.1390000000{i}" for i in range(5)],
            "api_security": settings.WXLOGIN.get("API_SECURITY"),
        })],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2], env=os.environ.copy(),
    )
    assert worker.stdout.readline().strip() == "ready"
    go, statuses = threading.Event(), []

    def call(number: str) -> None:
        go.wait()
        statuses.append(_phone(token, number).status_code)
        connections.close_all()

    threads = [threading.Thread(target=call, args=(f"1370000000{i}",)) for i in range(5)]
    for thread in threads:
        thread.start()
    worker.stdin.write("go\n")
    worker.stdin.flush()
    go.set()
    for thread in threads:
        thread.join()
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0
    statuses += json.loads(output.strip().splitlines()[-1])
    assert statuses == [200] * 10
    assert _count(fake_wechat, STABLE) == stable + 1


def test_login_makes_one_wechat_call_and_never_fetches_a_token(fake_wechat):
    seen = len(fake_wechat.requests)
    log_in("alice")
    log_in("alice")
    assert [r["path"] for r in fake_wechat.requests[seen:]] == ["/sns/jscode2session"] * 2
    assert cache.get(access_token.for_app().key) is None


def test_secrets_never_reach_the_logs(fake_wechat, caplog):
    caplog.set_level(logging.DEBUG)
    token, _ = log_in()
    assert _phone(token, "13800000006").status_code == 200
    issued = set(fake_wechat.access_tokens)
    fake_wechat.expire_access_tokens()
    assert _phone(token, "13800000007").status_code == 200
    issued |= set(fake_wechat.access_tokens)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "access_token=***" in logged  # urllib3's DEBUG line, scrubbed
    assert SECRET not in logged
    assert issued and not any(t in logged for t in issued)


def test_phone_numbers_work_while_the_cache_is_down(settings, fake_wechat):
    settings.CACHES = {**settings.CACHES, "down": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }}
    settings.WXLOGIN = {**settings.WXLOGIN, "CACHE_ALIAS": "down"}
    token, _ = log_in()
    response = _phone(token, "13800000008")
    assert response.status_code == 200, response.content
