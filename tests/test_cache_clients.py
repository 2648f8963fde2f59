"""RedisClusterClient on a real 3-master Redis Cluster: django-redis's cache API across slots,
through a failover and a slot migration; the package's single-key users of the cache (code
locks, throttles, bind tickets, access tokens); and the session store, one user to a slot."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from redis.crc import key_slot
from rest_framework.test import APIClient

from django_wxlogin import bind_tickets
from django_wxlogin.cache_clients import RedisClusterClient
from django_wxlogin.exceptions import InvalidBindTicket, SessionExpired
from django_wxlogin.models import RevokeReason
from django_wxlogin.sessions import store
from django_wxlogin.sessions.entries import entry_name
from django_wxlogin.sessions.revocation import revoke
from django_wxlogin.sessions.tokens import digest_key
from django_wxlogin.wechat import access_token, code_lock
from django_wxlogin.wechat import client as wechat

from .conftest import cluster_caches, fresh_code
from .deployments import redis_at
from .sessions.conftest import wechat_login

pytestmark = pytest.mark.deployment

KEYS = [f"k{i}" for i in range(30)]


def masters_holding(cluster, cache, keys):
    return {cluster.slot_owner(key_slot(cache.make_key(key).encode())) for key in keys}


def test_cache_api_across_slots(redis_cluster, cluster_cache):
    assert isinstance(cluster_cache.client, RedisClusterClient)
    assert len(masters_holding(redis_cluster, cluster_cache, KEYS)) == 3
    cluster_cache.set_many({key: {"n": i} for i, key in enumerate(KEYS)}, 60)
    assert cluster_cache.get_many([*KEYS, "missing"]) == {
        key: {"n": i} for i, key in enumerate(KEYS)}
    assert cluster_cache.get("k3") == {"n": 3} and cluster_cache.has_key("k4")
    assert not cluster_cache.add("k5", "other") and cluster_cache.add("fresh", "new")
    assert 0 < cluster_cache.ttl("k6") <= 60
    cluster_cache.set("count", 1)
    assert cluster_cache.incr("count", 5) == 6
    assert sorted(cluster_cache.keys("k1*")) == ["k1", *(f"k1{i}" for i in range(10))]
    assert cluster_cache.delete_many(KEYS[:10]) == 10
    assert cluster_cache.get_many(KEYS[:12]) == {"k10": {"n": 10}, "k11": {"n": 11}}
    cluster_cache.clear()
    assert cluster_cache.get_many(KEYS) == {} and cluster_cache.keys("*") == []


def test_follows_a_failover_and_a_slot_migration(redis_cluster, cluster_cache):
    cluster_cache.set("moving", "value", 60)
    slot = key_slot(cluster_cache.make_key("moving").encode())
    master = redis_cluster.slot_owner(slot)
    redis_cluster.failover(redis_cluster.replica_of(master))
    assert redis_cluster.slot_owner(slot) != master
    assert cluster_cache.get("moving") == "value"
    target = next(p for p in redis_cluster.masters() if p != redis_cluster.slot_owner(slot))
    redis_cluster.migrate_slot(slot, target)
    assert redis_cluster.slot_owner(slot) == target
    assert cluster_cache.get("moving") == "value"
    cluster_cache.set("moving", "again", 60)
    assert cluster_cache.get("moving") == "again"


def test_replica_reads_and_other_databases_are_refused(redis_cluster, settings):
    settings.CACHES = cluster_caches(redis_cluster)
    settings.CACHES["default"]["OPTIONS"]["REDIS_CLIENT_KWARGS"] = {"read_from_replicas": True}
    with pytest.raises(ImproperlyConfigured, match="read_from_replicas"):
        caches["default"].get("any")
    settings.CACHES = cluster_caches(redis_cluster)
    settings.CACHES["default"]["LOCATION"] = redis_cluster.urls[0] + "/2"
    with pytest.raises(ImproperlyConfigured, match="database 0"):
        caches["default"].get("any")


@pytest.mark.django_db
def test_code_lock_and_throttle_on_the_cluster(cluster_cache, settings, fake_wechat):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "2/min"}
    client = wechat.client()
    code = fresh_code("carol")
    code_lock.exchange_once(client, code)
    with pytest.raises(code_lock.DuplicateCode):
        code_lock.exchange_once(client, code)
    api = APIClient()
    answers = [api.post("/wx/login/", {"code": fresh_code("dan")}, format="json").status_code
               for _ in range(3)]
    assert answers == [200, 200, 429]


def test_bind_tickets_and_access_tokens_on_the_cluster(cluster_cache, fake_wechat):
    identity = wechat.client().code2session(fresh_code("erin"))
    ticket = bind_tickets.account_required(identity, "wxtestapp0000001").extra["bind_ticket"]
    assert bind_tickets.read(str(ticket))[1].openid == identity.openid
    bind_tickets.redeem(str(ticket))
    with pytest.raises(InvalidBindTicket):
        bind_tickets.redeem(str(ticket))
    fetched = len(fake_wechat.calls("/cgi-bin/stable_token"))
    manager = access_token.for_app()
    token = manager.get()
    assert manager.get() == token == access_token.for_app().get()
    assert cluster_cache.get(manager.key) and cluster_cache.add(manager.lock_key, "x", 5)
    assert len(fake_wechat.calls("/cgi-bin/stable_token")) == fetched + 1


@pytest.mark.django_db(transaction=True)
def test_the_session_store_on_the_cluster(redis_cluster, cluster_cache, sent,
                                          django_assert_num_queries):
    """A user's entries share one slot: a warm request is one MGET, a login one read and one
    compare-and-set, on the node that holds the user; a revocation is then refused, warm or
    cold."""
    first = wechat_login("gus")
    sent.clear()
    second = wechat_login("gus")  # SINGLE_SESSION: replaces the first
    assert sent == [["MGET"], ["EVALSHA"]]
    tag = f"{{{second.session.user_id}}}"
    home = redis_cluster.master_of(tag)
    assert sorted(redis_at(home).keys(f"*{tag}*")) == sorted(
        cluster_cache.make_key(entry_name(kind, second.session.user_id, key)).encode()
        for kind, key in (("n", ""), ("u", ""), ("s", digest_key(second.session.digest))))
    sent.clear()
    with django_assert_num_queries(0):
        assert store.authenticate(second.token)[1].pk == second.session.pk
    assert sent == [["MGET"]]
    with pytest.raises(SessionExpired):
        store.authenticate(first.token)
    with transaction.atomic():
        revoke(second.session, RevokeReason.LOGOUT)
    # Only the user's generation is left, as a tombstone no refill in flight can pass.
    generation = cluster_cache.make_key(entry_name("n", second.session.user_id)).encode()
    assert redis_at(home).keys(f"*{tag}*") == [generation]
    assert redis_at(home).get(generation).endswith(b"!")
    with pytest.raises(SessionExpired):
        store.authenticate(second.token)


@pytest.mark.django_db(transaction=True)
def test_a_failover_of_the_users_master_voids_its_entries_once(redis_cluster, cluster_cache,
                                                                django_assert_num_queries):
    login = wechat_login("hal")
    store.authenticate(login.token)
    home = redis_cluster.master_of(f"{{{login.session.user_id}}}")
    redis_cluster.failover(redis_cluster.replica_of(home))
    with django_assert_num_queries(1):  # another node, another run_id: the database decides
        store.authenticate(login.token)
    with django_assert_num_queries(0):
        store.authenticate(login.token)
