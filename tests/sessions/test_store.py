"""Issuing and authenticating: the warm path's cost, cache misses (made-up tokens write nothing,
a refill loses to a revocation), expiry, last seen."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django_redis import get_redis_connection

from django_wxlogin.models import WxSession
from django_wxlogin.sessions import local, store
from django_wxlogin.sessions.entries import entries_for, entry_name, read_entries
from django_wxlogin.sessions.tokens import (
    digest_key,
    make_token,
    token_digest_and_key,
    user_reference,
)

from ..conftest import bearer, manage
from .conftest import cache_keys, token_of, wechat_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_warm_request_costs_one_round_trip_and_no_query(
        api, login, sent, settings, django_assert_num_queries):
    """From Redis (the in-process layer off: tests/sessions/test_local.py)."""
    settings.WXLOGIN = {**settings.WXLOGIN, "LOCAL_CACHE": False}
    token = token_of(login)
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
    token = token_of(login)
    get_redis_connection().flushdb()
    with django_assert_num_queries(1):
        store.authenticate(token)
    with django_assert_num_queries(0):
        store.authenticate(token)


def test_the_warm_path_reads_three_keys_however_many_sessions_a_user_has(
        settings, sent, django_assert_num_queries):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False, "LOCAL_CACHE": False}
    tokens = [wechat_login().token for _ in range(20)]
    for token in tokens:
        store.authenticate(token)
    sent.clear()
    with django_assert_num_queries(0):
        for token in tokens:
            store.authenticate(token)
    assert sent == [["MGET"]] * len(tokens)


def test_a_returning_login_costs_four_queries_and_one_cache_write(sent, statements):
    """Four on PostgreSQL; MySQL and MariaDB have no ``UPDATE ... RETURNING``, so the revoked
    sessions are read first: five."""
    first = wechat_login()
    sent.clear()
    statements.clear()
    second = wechat_login()
    revoking = ["UPDATE"] if connection.vendor == "postgresql" else ["SELECT", "UPDATE"]
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE", *revoking, "INSERT"]
    # The generation, read before the commit; one compare-and-set after it (no INFO).
    assert sent == [["MGET"], ["EVALSHA"]]
    assert not cache_keys(f"s:{digest_key(first.session.digest)}")  # the replaced session's entry
    assert len(cache_keys("[snu]*")) == 3
    assert WxSession.objects.get(pk=first.session.pk).revoke_reason == "single_session"
    assert store.authenticate(second.token)[1].pk == second.session.pk


def test_expiry_by_absolute_lifetime(api, login, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "TOKEN_TTL": 3600}
    token = token_of(login)
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
    token = token_of(login)
    start = timezone.now()
    for minutes in (5, 10, 15, 20):  # used every five minutes: stays alive
        with time_machine.travel(start + timezone.timedelta(minutes=minutes), tick=False):
            assert api.get("/whoami/", **bearer(token)).status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=31), tick=False):
        response = api.get("/whoami/", **bearer(token))
        assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_last_seen_is_written_at_most_once_per_interval(api, login, django_assert_num_queries):
    token = token_of(login)
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


def test_a_warm_session_knows_how_it_was_opened(api, django_assert_num_queries):
    get_user_model().objects.create_user("olivia", password="correct horse")
    response = api.post("/wx/login/password/", {"username": "olivia",
                                                 "password": "correct horse"}, format="json")
    token = response.json()["token"]
    assert store.authenticate(token)[1].method == "password"  # from the database
    with django_assert_num_queries(0):
        assert store.authenticate(token)[1].method == "password"  # from the cache


# Unproven tokens write nothing; a refill never outlives a revocation that lands during it.

def _garbage(user_pk: object) -> str:
    """A well-formed token of an existing user, with random bits that prove nothing."""
    return make_token(user_pk)


def test_a_thousand_made_up_tokens_write_nothing(api, login, django_assert_max_num_queries):
    token = token_of(login)
    user_pk = WxSession.objects.get().user_id
    redis = get_redis_connection()
    redis.delete(*redis.keys("*:n"))  # the case that used to write: no generation yet
    report = cache.make_key(local.report_key()).encode()  # the layer's counters, on its own clock

    def stored() -> list[bytes]:
        return sorted(key for key in redis.keys("*") if key != report)

    keys = stored()
    for _ in range(1000):
        with django_assert_max_num_queries(1):
            response = api.get("/whoami/", **bearer(_garbage(user_pk)))
        assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    assert stored() == keys
    assert api.get("/whoami/", **bearer(token)).status_code == 200  # the real one refills


def test_a_refill_writes_only_after_the_database_found_the_session(api, login, sent):
    token = token_of(login)
    get_redis_connection().flushdb()
    sent.clear()
    store.authenticate(token)
    # One read, then one compare-and-set after the query: no write before the database.
    assert sent[0] == ["MGET"] and sent[1:] in ([["EVALSHA"]], [["EVALSHA"], ["EVAL"]])


@pytest.mark.parametrize("generation", ["absent", "present"])
def test_a_revocation_during_a_refill_wins(api, login, generation):
    """A refill has read the cache and found the session live in the database; a logout from
    another process commits before the refill writes. The refill must write nothing."""
    token = token_of(login)
    redis = get_redis_connection()
    if generation == "absent":
        redis.flushdb()
    else:
        redis.delete(*redis.keys("*:s:*"))
    user_ref = user_reference(token)
    digest, key = token_digest_and_key(token)
    entries = entries_for()
    sname = entry_name("s", user_ref, key)
    (_, gen, _), run_id = read_entries(
        entries, [sname, entry_name("n", user_ref), entry_name("u", user_ref)])
    row = WxSession.objects.select_related("user").get(digest=digest)  # found live
    revoked = manage("wxlogin_revoke", "--user", str(row.user_id))  # another process
    assert revoked.returncode == 0, revoked.stderr
    assert store._refill(entries, user_ref, gen, run_id, row, sname, {}) is None
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_a_revocation_between_a_logins_commit_and_its_cache_write_wins(api):
    """Another process revokes the new session after the login committed and before the login
    wrote the cache: the login's write must not bring the session back."""
    user = wechat_login("rosa").session.user
    revoked = []
    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=user.pk)
        # Runs after the commit, before the login's own cache write (registered after it).
        transaction.on_commit(lambda: revoked.append(manage("wxlogin_revoke", "--user",
                                                            str(user.pk))))
        token, _ = store.issue(user)
    assert revoked[0].returncode == 0, revoked[0].stderr
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "session_expired"

