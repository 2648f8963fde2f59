"""The session store: warm path cost, cache misses, revocation that sticks, expiry."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from django_wxlogin import store
from django_wxlogin.models import WxSession

from .conftest import bearer, run_together

pytestmark = pytest.mark.django_db(transaction=True)


def _token(login, user="alice"):
    return login(user).json()["token"]


def test_a_warm_request_costs_one_round_trip_and_no_query(
        api, login, sent, django_assert_num_queries):
    token = _token(login)
    api.get("/whoami/", **bearer(token))  # warm
    sent.clear()
    with django_assert_num_queries(0):
        user, session = store.authenticate(token)
    assert sent == [["MGET"]]
    assert user.is_active and session.digest == WxSession.objects.get().digest
    with django_assert_num_queries(0):
        assert api.get("/whoami/", **bearer(token)).status_code == 200


def test_a_cold_cache_falls_back_to_the_database_and_refills(
        api, login, django_assert_num_queries):
    token = _token(login)
    get_redis_connection().flushdb()
    with django_assert_num_queries(1):
        store.authenticate(token)
    with django_assert_num_queries(0):
        store.authenticate(token)


def _raw_entries():
    connection = get_redis_connection()
    return {key: connection.get(key) for key in connection.keys("*wxlogin:[snu]:*")}


def test_an_entry_put_back_after_revocation_is_not_trusted(api, login):
    """A delete that failed, or a cache write that raced a logout: the stale entry stays dead."""
    token = _token(login)
    api.get("/whoami/", **bearer(token))
    saved = _raw_entries()
    assert len(saved) == 3
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204
    connection = get_redis_connection()
    for key, value in saved.items():
        if b":s:" in key or b":u:" in key:
            connection.set(key, value)
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_a_failed_delete_is_retried_before_the_next_lookup(api, login, private_redis):
    token = _token(login)
    api.get("/whoami/", **bearer(token))
    private_redis.client().execute_command("CLIENT", "PAUSE", 1200, "WRITE")
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204  # the DB is the truth
    assert store._pending_deletes
    assert api.get("/whoami/", **bearer(token)).status_code == 401  # still paused: the DB says
    time.sleep(1.3)
    assert api.get("/whoami/", **bearer(token)).status_code == 401
    assert not store._pending_deletes
    assert not private_redis.client().keys("*wxlogin:s:*")


def test_a_redis_restored_from_an_older_snapshot_is_not_trusted(api, login, private_redis):
    token = _token(login)
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    private_redis.client().save()  # the snapshot holds the live session
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204
    private_redis.kill()
    private_redis.start()  # back from the snapshot: the revoked session's entries are there
    assert len(private_redis.client().keys("*wxlogin:[snu]:*")) == 3
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_a_redis_restart_keeps_live_sessions_working(api, login, private_redis):
    token = _token(login)
    api.get("/whoami/", **bearer(token))
    private_redis.client().save()
    private_redis.kill()
    private_redis.start()
    assert api.get("/whoami/", **bearer(token)).status_code == 200


def test_deactivating_a_user_takes_effect_at_once(api, login):
    token = _token(login)
    api.get("/whoami/", **bearer(token))
    user = get_user_model().objects.get()
    user.is_active = False
    user.save()
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "user_inactive"


def test_deleting_a_user_takes_effect_at_once(api, login):
    token = _token(login)
    api.get("/whoami/", **bearer(token))
    get_user_model().objects.all().delete()
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_a_changed_user_is_reloaded(api, login):
    token = _token(login)
    api.get("/whoami/", **bearer(token))
    user = get_user_model().objects.get()
    user.first_name = "Renamed"
    user.save()
    cached_user, _ = store.authenticate(token)
    assert cached_user.first_name == "Renamed"


def test_expiry_by_absolute_lifetime(api, login, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "TOKEN_TTL": 3600}
    token = _token(login)
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=59), tick=False):
        assert api.get("/whoami/", **bearer(token)).status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=61), tick=False):
        response = api.get("/whoami/", **bearer(token))
        assert response.status_code == 401 and response.json()["code"] == "session_expired"
        cache.clear()  # the database says the same
        assert api.get("/whoami/", **bearer(token)).status_code == 401


def test_idle_timeout(api, login, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "IDLE_TIMEOUT": 600, "LAST_SEEN_INTERVAL": 60}
    token = _token(login)
    start = timezone.now()
    for minutes in (5, 10, 15, 20):  # used every five minutes: stays alive
        with time_machine.travel(start + timezone.timedelta(minutes=minutes), tick=False):
            assert api.get("/whoami/", **bearer(token)).status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=31), tick=False):
        response = api.get("/whoami/", **bearer(token))
        assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_last_seen_is_written_at_most_once_per_interval(api, login, django_assert_num_queries):
    token = _token(login)
    start = timezone.now()
    api.get("/whoami/", **bearer(token))
    with time_machine.travel(start + timezone.timedelta(seconds=30), tick=False), \
            django_assert_num_queries(0):
        api.get("/whoami/", **bearer(token))
    with time_machine.travel(start + timezone.timedelta(seconds=90), tick=False):
        with django_assert_num_queries(1):
            api.get("/whoami/", **bearer(token))
        seen = WxSession.objects.get().last_seen_at
        assert abs((seen - timezone.now()).total_seconds()) < 1
        with django_assert_num_queries(0):
            api.get("/whoami/", **bearer(token))


def test_the_cache_holds_no_raw_token(api, login):
    token = _token(login)
    api.get("/whoami/", **bearer(token))
    secret_part = token.split(".")[1].encode()
    for key, value in _raw_entries().items():
        assert secret_part not in key and secret_part not in value


def test_requests_racing_a_logout_get_200_or_401_and_the_token_ends_dead(api, login):
    for _ in range(3):
        token = _token(login, "race")
        api.get("/whoami/", **bearer(token))
        tasks = iter(["logout"] + ["get"] * 7)

        def act(token=token, tasks=tasks):
            client = APIClient()
            if next(tasks) == "logout":
                return client.post("/wx/logout/", **bearer(token)).status_code
            return client.get("/whoami/", **bearer(token)).status_code

        statuses = run_together(8, act)
        assert set(statuses) <= {200, 204, 401}, statuses
        assert statuses.count(204) == 1
        assert api.get("/whoami/", **bearer(token)).status_code == 401
