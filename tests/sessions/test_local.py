"""The in-process layer: warm requests from memory, and every way it must stop trusting it.

Each test has a redis-server of its own (tracking spans a whole server, and other suites flush
the shared one), and every revocation it checks comes from another process.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import tracemalloc
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django_redis import get_redis_connection
from rest_framework.exceptions import AuthenticationFailed

from django_wxlogin.exceptions import SessionExpired
from django_wxlogin.models import RevokeReason, WxSession
from django_wxlogin.sessions import entries, local, store
from django_wxlogin.sessions.revocation import revoke_user
from django_wxlogin.sessions.tokens import make_token
from django_wxlogin.settings import wxlogin_settings

from ..conftest import bearer, manage
from .conftest import token_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tracked(private_redis: Any, settings: Any) -> Any:
    """The layer on, on this test's own Redis, with a heartbeat no test run outlasts."""
    settings.WXLOGIN = {**settings.WXLOGIN, "LOCAL_CACHE": True, "LOCAL_CACHE_HEARTBEAT": 60}
    return private_redis


def layer() -> local.Layer:
    return local._layers[get_redis_connection().connection_pool]


def round_trips(sent: list[list[str]]) -> list[list[str]]:
    return [trip for trip in sent if trip not in (["PING"], ["HSET", "EXPIRE"])]


def warm(api: Any, token: str) -> None:
    """Two requests: the first reads Redis and keeps the entries, the second is served from
    memory."""
    for _ in range(2):
        assert api.get("/whoami/", **bearer(token)).status_code == 200


def revoke_elsewhere(tracked: Any, token: str) -> None:
    """Log the token's user out everywhere from another process, as an operator would."""
    username = WxSession.objects.get(digest=store.token_digest(token)).user.get_username()
    done = manage("wxlogin_revoke", "--user", username, TEST_REDIS_URL=tracked.url)
    assert done.returncode == 0, done.stderr


def test_a_warm_request_makes_no_round_trip_and_no_query(api, login, tracked, sent,
                                                         django_assert_num_queries):
    token = token_of(login)
    warm(api, token)
    hits = layer().counts["hits"]
    sent.clear()
    with django_assert_num_queries(0):
        user, session = store.authenticate(token)
    assert round_trips(sent) == [] and layer().counts["hits"] == hits + 1
    assert session.digest == store.token_digest(token) and user.pk == session.user_id


def test_a_revocation_in_another_process_is_refused_at_once(api, login, tracked):
    token = token_of(login)
    warm(api, token)
    revoke_elsewhere(tracked, token)
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "session_expired"
    assert layer().counts["invalidations"] >= 3


def test_this_process_never_waits_for_the_message_of_its_own_write(api, login, tracked):
    """A busy host can deliver a write's invalidation to the writer's own tracking socket a
    moment after the write's reply: the writer drops its entries without waiting for it."""
    token = token_of(login)
    warm(api, token)
    user_pk = WxSession.objects.get(digest=store.token_digest(token)).user_id
    assert [key for key in layer().entries if ":s:" in key]
    revoke_user(user_pk, RevokeReason.LOGOUT_ALL)  # this process; no request read since
    assert not [key for key in layer().entries if f"{{{user_pk}}}" in key]
    with pytest.raises(SessionExpired):
        store.authenticate(token)


def test_off_every_request_reads_redis(api, login, tracked, settings, sent):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOCAL_CACHE": False}
    token = token_of(login)
    warm(api, token)
    sent.clear()
    store.authenticate(token)
    assert sent == [["MGET"]]


def test_without_a_recent_answer_to_its_ping_a_worker_reads_redis(api, login, tracked,
                                                                   settings, sent):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOCAL_CACHE_HEARTBEAT": 1e-9}
    token = token_of(login)
    warm(api, token)
    sent.clear()
    store.authenticate(token)
    assert ["MGET"] in sent and layer().counts["hits"] == 0


def test_a_server_that_refuses_tracking_leaves_every_request_to_redis(api, login, tracked,
                                                                      sent, caplog):
    tracked.client().execute_command("ACL", "SETUSER", "default", "-client|tracking")
    token = token_of(login)
    for _ in range(3):
        warm(api, token)
    sent.clear()
    store.authenticate(token)
    assert sent == [["MGET"]] and layer().conn is None
    refused = [r for r in caplog.records if "no tracking connection" in r.getMessage()]
    assert len(refused) == 1 and "off for this server" in refused[0].getMessage()


def test_a_key_function_that_moves_the_prefix_turns_the_layer_off(api, login, tracked,
                                                                   settings, sent):
    settings.CACHES = {"default": {**settings.CACHES["default"],
                                   "KEY_FUNCTION": "tests.sessions.test_local.reversed_key"}}
    token = token_of(login)
    warm(api, token)
    sent.clear()
    store.authenticate(token)
    assert sent == [["MGET"]] and get_redis_connection().connection_pool not in local._layers


def reversed_key(key: str, key_prefix: str, version: int) -> str:
    return f"{key[::-1]}:{version}"


def test_an_invalidation_read_while_the_mget_was_on_its_way_prevents_the_store(
        api, login, tracked, monkeypatch):
    """Another thread drains the revocation's message between this request's MGET and its
    store: the old values must not be kept."""
    token = token_of(login)
    user_pk = WxSession.objects.get(digest=store.token_digest(token)).user_id
    original = entries.RedisEntries.read

    def read_then_revoke(self: Any, names: list[str]) -> Any:
        monkeypatch.undo()  # once
        found = original(self, names)
        revoke_user(user_pk, RevokeReason.LOGOUT_ALL)  # autocommit: deletes at once
        other = threading.Thread(target=read_quietly, args=(make_token(user_pk),))
        other.start()  # its lookup reads the invalidation
        other.join()
        return found

    monkeypatch.setattr(entries.RedisEntries, "read", read_then_revoke)
    store.authenticate(token)  # began before the revocation: served
    assert not [key for key in layer().entries if ":s:" in key]  # the old session: not kept
    with pytest.raises(SessionExpired):
        store.authenticate(token)


def read_quietly(token: str) -> None:
    """Authenticate in a thread of its own, and close the thread's database connection."""
    try:
        with contextlib.suppress(AuthenticationFailed):
            store.authenticate(token)
    finally:
        connection.close()


def test_a_killed_tracking_connection_empties_the_layer(api, login, tracked, sent):
    token = token_of(login)
    warm(api, token)
    redis = tracked.client()
    tracking = [c["id"] for c in redis.client_list(_type="pubsub")]
    assert len(tracking) == 1
    redis.client_kill_filter(_id=tracking[0])
    flushes = layer().counts["flushes"]
    sent.clear()
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    assert ["MGET"] in sent and layer().counts["flushes"] == flushes + 1
    revoke_elsewhere(tracked, token)
    assert api.get("/whoami/", **bearer(token)).status_code == 401
    assert layer().conn is not None  # tracking again


def test_a_restarted_redis_is_not_trusted_from_memory(api, login, tracked):
    token = token_of(login)
    warm(api, token)
    tracked.kill()
    tracked.start()
    revoke_elsewhere(tracked, token)  # its delete reaches a Redis that never had the entries
    assert api.get("/whoami/", **bearer(token)).status_code == 401
    assert layer().counts["flushes"] >= 1


def test_a_flushed_redis_empties_the_layer(api, login, tracked):
    token = token_of(login)
    warm(api, token)
    tracked.client().flushdb()
    revoke_elsewhere(tracked, token)  # deletes nothing: the entries are gone already
    assert api.get("/whoami/", **bearer(token)).status_code == 401
    assert layer().counts["flushes"] == 1


def test_memory_stays_within_the_bound_under_a_million_tokens(api, login, tracked, settings):
    limit = 8 * 1024 * 1024
    settings.WXLOGIN = {**settings.WXLOGIN, "LOCAL_CACHE_MAX_BYTES": limit,
                        "LOCAL_CACHE_MAX_ENTRIES": 10**7}
    warm(api, token_of(login))
    target, conf = layer(), wxlogin_settings.user_settings
    value = b"n" * 12 + b"\x00" * 30 + b"wx0123456789abcdef"  # an s entry's length

    def store(start: int, stop: int) -> list[str]:
        for batch in range(start, stop, 1000):
            keys = [f"{target.prefix}s:{i:024d}" for i in range(batch, batch + 1000)]
            target.store(target.epoch, keys, [value] * 1000, target.run_id, conf)
        return keys

    tracemalloc.start()  # what the accounting says against what Python allocated
    try:
        before = tracemalloc.get_traced_memory()[0]
        store(0, 100_000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert target.size <= limit and grown <= limit * 1.1
    keys = store(100_000, 10**6)
    assert target.size <= limit and 20_000 < len(target.entries) < 10**5
    settings.WXLOGIN = {**settings.WXLOGIN, "LOCAL_CACHE_MAX_ENTRIES": 1000}
    target.store(target.epoch, keys[:1], [value], target.run_id, wxlogin_settings.user_settings)
    assert len(target.entries) == 1000


def test_a_process_reports_on_its_first_request(api, login, tracked, capsys):
    """Not after an interval: the command never says "no worker" of a process serving."""
    assert api.get("/whoami/", **bearer(token_of(login))).status_code == 200
    call_command("wxlogin_localcache", "--json")
    (figures,) = json.loads(capsys.readouterr().out).values()
    assert figures["tracking"] == 1 and figures["misses"] == 1


def test_the_command_shows_every_process_figures(api, login, tracked, capsys):
    token = token_of(login)
    warm(api, token)
    layer().reported_at = 0  # as if an interval had passed
    warm(api, token)
    call_command("wxlogin_localcache", "--json")
    reported = json.loads(capsys.readouterr().out)
    assert len(reported) == 1
    (figures,) = reported.values()
    assert figures["tracking"] == 1 and figures["misses"] >= 1
    call_command("wxlogin_localcache")
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["PROCESS", "HITS", "MISSES"] and len(table) == 2


def test_anonymous_traffic_invalidates_nothing_a_worker_keeps(api, login, tracked):
    """Throttle counters, lockouts and code locks live outside the tracked prefix: a flood of
    password guesses sends the workers no invalidation and keeps their entries."""
    token = token_of(login)
    warm(api, token)
    invalidations, epoch, hits = layer().counts["invalidations"], layer().epoch, \
        layer().counts["hits"]
    for i in range(20):
        guess = api.post("/wx/login/password/", {"username": f"made-up-{i % 3}", "password": "x"},
                         format="json", REMOTE_ADDR=f"10.7.0.{i % 4}")
        assert guess.status_code in (400, 429)
    time.sleep(0.3)  # what Redis would send has arrived
    assert api.get("/whoami/", **bearer(token)).status_code == 200
    assert (layer().counts["invalidations"], layer().epoch) == (invalidations, epoch)
    assert layer().counts["hits"] == hits + 1  # still served from memory
