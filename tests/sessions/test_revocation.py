"""Revocation sticks: in the database first, then every cache entry of the user is void."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from django_wxlogin.models import WxSession
from django_wxlogin.sessions import revocation, store
from django_wxlogin.sessions.tokens import digest_key

from ..conftest import bearer, run_together
from .conftest import cache_keys, raw_entries, token_of, wechat_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_entry_put_back_after_revocation_is_not_trusted(api, login):
    """A delete that failed, or a cache write that raced a logout: the stale entry stays dead."""
    token = token_of(login)
    api.get("/whoami/", **bearer(token))
    saved = raw_entries()
    assert len(saved) == 3
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204
    connection = get_redis_connection()
    for key, value in saved.items():
        if b":s:" in key or b":u:" in key:
            connection.set(key, value)
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_without_update_returning_a_login_still_revokes_in_one_cache_write(
        monkeypatch, sent, statements):
    monkeypatch.setattr(revocation, "_supports_update_returning", lambda alias: False)
    first = wechat_login()
    sent.clear()
    statements.clear()
    wechat_login()
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE", "SELECT", "UPDATE",
                                                  "INSERT"]
    assert sent == [["MGET"], ["EVALSHA"]]
    assert WxSession.objects.live().count() == 1
    assert not cache_keys(f"s:{digest_key(first.session.digest)}")


def test_deactivating_a_user_takes_effect_at_once(api, login):
    token = token_of(login)
    api.get("/whoami/", **bearer(token))
    user = get_user_model().objects.get()
    user.is_active = False
    user.save()
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "user_inactive"


def test_deleting_a_user_takes_effect_at_once(api, login):
    token = token_of(login)
    api.get("/whoami/", **bearer(token))
    get_user_model().objects.all().delete()
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_a_changed_user_is_reloaded(api, login):
    token = token_of(login)
    api.get("/whoami/", **bearer(token))
    user = get_user_model().objects.get()
    user.first_name = "Renamed"
    user.save()
    cached_user, _ = store.authenticate(token)
    assert cached_user.first_name == "Renamed"


def test_requests_racing_a_logout_get_200_or_401_and_the_token_ends_dead(api, login):
    for _ in range(3):
        token = token_of(login, "race")
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
