"""The entries' bytes: small, no password hash, no raw token, a complete user."""

from __future__ import annotations

import pickle

import pytest
from django.contrib.auth import get_user_model
from django_redis import get_redis_connection

from django_wxlogin.sessions import store
from django_wxlogin.sessions.codec import NONCE_LENGTH

from ..conftest import bearer
from .conftest import cache_keys, raw_entries, token_of, wechat_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_session_costs_at_most_300_bytes_of_redis_and_the_password_hash_none():
    login = wechat_login()
    user = login.wxuser.user
    connection = get_redis_connection()
    (session_key,) = cache_keys("s:*")
    assert connection.memory_usage(session_key, samples=0) <= 300
    (user_key,) = cache_keys("u")
    assert user.password.encode() not in connection.get(user_key)


def test_the_cached_user_is_complete_and_its_password_deferred(django_assert_num_queries):
    login = wechat_login()
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
    login = wechat_login()
    store.authenticate(login.token)
    connection = get_redis_connection()
    (user_key,) = cache_keys("u")
    value = connection.get(user_key)
    connection.set(user_key, value[:NONCE_LENGTH] + pickle.dumps((0, "old")))
    with django_assert_num_queries(1):
        user, _ = store.authenticate(login.token)
    assert user.pk == login.wxuser.user.pk


def test_the_cache_holds_no_rawtoken_of(api, login):
    token = token_of(login)
    api.get("/whoami/", **bearer(token))
    secret_part = token.split(".")[1].encode()
    for key, value in raw_entries().items():
        assert secret_part not in key and secret_part not in value
