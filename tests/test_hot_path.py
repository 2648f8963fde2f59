"""What the hot path and the login path cost, in queries, round trips and bytes (no timings)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection
from django_redis import get_redis_connection

from django_wxlogin import store, users, wechat
from django_wxlogin.models import WxSession
from django_wxlogin.tokens import digest_key

from .conftest import bearer, fresh_code

pytestmark = pytest.mark.django_db(transaction=True)

@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The SQL statements sent through a cursor (BEGIN and COMMIT are not)."""
    seen: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def _login(name: str = "alice") -> users.Login:
    identity = wechat.client().code2session(fresh_code(name))
    return users.login(identity, appid=django_settings.WXLOGIN["APPID"])


def _keys(pattern: str) -> list[bytes]:
    return get_redis_connection().keys(f"*wxlogin:{pattern}")


def test_a_returning_login_costs_four_queries_and_one_cache_write(sent, statements):
    """Four on PostgreSQL; MySQL and MariaDB have no ``UPDATE ... RETURNING``, so the revoked
    sessions are read first: five."""
    first = _login()
    sent.clear()
    statements.clear()
    second = _login()
    revoking = ["UPDATE"] if connection.vendor == "postgresql" else ["SELECT", "UPDATE"]
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE", *revoking, "INSERT"]
    assert sent == [["MULTI", "SET", "SET", "SET", "DEL", "EXEC"]]  # no INFO: run_id known
    assert not _keys(f"s:{digest_key(first.session.digest)}")  # the replaced session's entry
    assert len(_keys("[snu]:*")) == 3
    assert WxSession.objects.get(pk=first.session.pk).revoke_reason == "single_session"
    assert store.authenticate(second.token)[1].pk == second.session.pk


def test_without_update_returning_a_login_still_revokes_in_one_cache_write(
        monkeypatch, sent, statements):
    monkeypatch.setattr(store, "_supports_update_returning", lambda alias: False)
    first = _login()
    sent.clear()
    statements.clear()
    _login()
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE", "SELECT", "UPDATE",
                                                  "INSERT"]
    assert sent == [["MULTI", "SET", "SET", "SET", "DEL", "EXEC"]]
    assert WxSession.objects.live().count() == 1
    assert not _keys(f"s:{digest_key(first.session.digest)}")


def test_the_warm_path_reads_three_keys_however_many_sessions_a_user_has(
        settings, sent, django_assert_num_queries):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    tokens = [_login().token for _ in range(20)]
    for token in tokens:
        store.authenticate(token)
    sent.clear()
    with django_assert_num_queries(0):
        for token in tokens:
            store.authenticate(token)
    assert sent == [["MGET"]] * len(tokens)


def test_a_session_costs_at_most_300_bytes_of_redis_and_the_password_hash_none():
    login = _login()
    user = login.wxuser.user
    connection = get_redis_connection()
    (session_key,) = _keys("s:*")
    assert connection.memory_usage(session_key, samples=0) <= 300
    (user_key,) = _keys("u:*")
    assert user.password.encode() not in connection.get(user_key)


def test_the_cached_user_is_complete_and_its_password_deferred(django_assert_num_queries):
    login = _login()
    store.authenticate(login.token)
    with django_assert_num_queries(0):
        user, session = store.authenticate(login.token)
        assert (user.pk, user.username, user.date_joined, user.is_active) == (
            login.wxuser.user.pk, login.wxuser.user.username, login.wxuser.user.date_joined,
            True)
        assert (session.pk, session.user, session.appid) == (
            login.session.pk, user, login.session.appid)
        assert session.expires_at == login.session.expires_at.replace(microsecond=0)  # seconds
        assert user.get_deferred_fields() == {"password"}
    with django_assert_num_queries(1):
        assert not user.has_usable_password()
    user.first_name = "Saved"
    user.save()  # saves what was loaded; the password is left alone
    assert get_user_model().objects.get().password == login.wxuser.user.password


def test_a_user_entry_from_another_user_model_layout_is_a_miss(django_assert_num_queries):
    login = _login()
    store.authenticate(login.token)
    connection = get_redis_connection()
    (user_key,) = _keys("u:*")
    value = connection.get(user_key)
    connection.set(user_key, value[:store.NONCE_LENGTH] + store.pickle.dumps((0, "old")))
    with django_assert_num_queries(1):
        user, _ = store.authenticate(login.token)
    assert user.pk == login.wxuser.user.pk


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
