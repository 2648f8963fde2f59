"""Redis outages: the database keeps serving, with a bounded wait, and the cache refills."""

from __future__ import annotations

import logging
import time

import pytest

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
    time.sleep(0.1)
    assert api.get("/whoami/", **bearer(other)).status_code == 200
    assert len(private_redis.client().keys("*wxlogin:s:*")) == 1
    assert api.get("/whoami/", **bearer(token)).status_code == 401
