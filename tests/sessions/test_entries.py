"""The cache entries: deletes that fail are retried first, any Django cache works."""

from __future__ import annotations

import time

import pytest

from django_wxlogin.sessions import entries

from ..conftest import bearer
from .conftest import token_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_failed_delete_is_retried_before_the_next_lookup(api, login, private_redis):
    token = token_of(login)
    api.get("/whoami/", **bearer(token))
    private_redis.client().execute_command("CLIENT", "PAUSE", 1200, "WRITE")
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204  # the DB is the truth
    assert entries.pending_deletes
    assert api.get("/whoami/", **bearer(token)).status_code == 401  # still paused: the DB says
    time.sleep(1.3)
    assert api.get("/whoami/", **bearer(token)).status_code == 401
    assert not entries.pending_deletes
    assert not private_redis.client().keys("*wxlogin:{*}:s:*")


def test_any_django_cache_works_through_the_cache_api(api, login, settings,
                                                      django_assert_num_queries):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    token = login().json()["token"]
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    with django_assert_num_queries(0):
        assert api.get("/whoami/", **bearer(token)).status_code == 200
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "session_expired"
