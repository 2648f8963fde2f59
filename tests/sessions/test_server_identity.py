"""A Redis server back from an older snapshot is told apart from the one it replaced."""

from __future__ import annotations

import pytest

from ..conftest import bearer
from .conftest import token_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_redis_restored_from_an_older_snapshot_is_not_trusted(api, login, private_redis):
    token = token_of(login)
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    private_redis.client().save()  # the snapshot holds the live session
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204
    private_redis.kill()
    private_redis.start()  # back from the snapshot: the revoked session's entries are there
    assert len(private_redis.client().keys("*wxlogin:{*}:[snu]*")) == 3
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_a_redis_restart_keeps_live_sessions_working(api, login, private_redis):
    token = token_of(login)
    api.get("/whoami/", **bearer(token))
    private_redis.client().save()
    private_redis.kill()
    private_redis.start()
    assert api.get("/whoami/", **bearer(token)).status_code == 200
