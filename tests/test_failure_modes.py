"""Redis outages: the database keeps serving, with a bounded wait, and the cache refills."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from django_wxlogin.models import WxSession

from .conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)


def test_everything_works_from_the_database_while_redis_is_down(
        api, login, private_redis, caplog):
    token = login("tina").json()["token"]
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    private_redis.kill()
    caplog.set_level(logging.WARNING, logger="django_wxlogin")

    started = time.monotonic()
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    assert time.monotonic() - started < 3  # socket timeouts, no retry storm
    assert "Session cache unavailable" in caplog.text

    second = login("uwe")
    assert second.status_code == 200
    other = second.json()["token"]
    assert api.get("/whoami/", **bearer(other)).status_code == 200
    assert api.get("/whoami/", **bearer("garbage")).status_code == 401
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204
    assert api.get("/whoami/", **bearer(token)).status_code == 401
    assert WxSession.objects.live().count() == 1

    private_redis.start()  # back, empty: the cache refills by itself
    time.sleep(0.3)  # past CACHE_RETRY_AFTER (0.2 s here): this process tries Redis again
    assert api.get("/whoami/", **bearer(other)).status_code == 200
    assert len(private_redis.client().keys("*wxlogin:{*}:s:*")) == 1
    assert api.get("/whoami/", **bearer(token)).status_code == 401


def _kill_this_connection() -> None:
    """End this test's database connection from another one, as a server restart would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_backend_pid()")
            with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres",
                                 autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [cursor.fetchone()[0]])
            return
        cursor.execute("SELECT CONNECTION_ID()")
        other = connection.copy()
        try:
            with other.cursor() as admin:
                admin.execute(f"KILL CONNECTION {int(cursor.fetchone()[0])}")
        finally:
            other.close()


def test_a_lost_database_connection_is_a_503_and_warm_tokens_still_work(api, login):
    """The database backend of this request dies: no 500, no traceback, a clear 503."""
    token = login("vera").json()["token"]
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    _kill_this_connection()
    assert api.get("/whoami/", **bearer(token)).status_code == 200  # the cache alone
    later = timezone.now() + timedelta(minutes=5)  # due for a last-seen write, which fails
    with time_machine.travel(later, tick=False):
        assert api.get("/whoami/", **bearer(token)).status_code == 200
    response = api.post("/wx/logout/", **bearer(token))
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "5"
    connection.close()  # Django reconnects on the next query
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204


def test_a_failed_cache_is_left_alone_for_a_while(api, login, private_redis, sent, settings):
    """No retry storm: after one failure a process serves from the database for
    CACHE_RETRY_AFTER seconds without touching Redis, then tries it again."""
    settings.WXLOGIN = {**settings.WXLOGIN, "CACHE_RETRY_AFTER": 1}
    token = login("walt").json()["token"]
    private_redis.kill()
    assert api.get("/whoami/", **bearer(token)).status_code == 200  # fails over, once
    sent.clear()
    for _ in range(5):
        assert api.get("/whoami/", **bearer(token)).status_code == 200
    assert sent == []
    private_redis.start()
    time.sleep(1.1)
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    assert ["MGET"] in sent  # after a reconnect's handshake
