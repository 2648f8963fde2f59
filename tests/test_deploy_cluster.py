"""A 3-master Redis Cluster with a replica each (``RedisClusterClient``), the example project
under gunicorn: warm requests cost one MGET on the node that holds the user's keys, and a
failover and a slot migration under traffic cost no error and resurrect no revoked token."""

from __future__ import annotations

import time

import pytest
import requests
from django.conf import settings
from redis.crc import key_slot

from django_wxlogin.sessions.tokens import user_reference

from .deployed import TIMEOUT, Traffic, bearer, database, login, serve, status

pytestmark = pytest.mark.deployment
# Commands a node also answers that are no request's round trip: the client's topology and
# identity look-ups, and the test's own statistics.
HOUSEKEEPING = {"info", "config|resetstat", "config", "cluster|slots", "cluster|shards",
                "cluster|nodes", "cluster|info", "cluster|myid", "cluster", "command",
                "command|docs", "ping", "hello", "client|setinfo", "client", "role", "replconf"}
WARM_REQUESTS = 20


@pytest.fixture(scope="module")
def app(redis_cluster, tmp_path_factory):
    directory = tmp_path_factory.mktemp("cluster-app")
    with database(settings.DATABASES["default"], "_cluster") as url, serve(directory, {
            "DATABASE_URL": url, "REDIS_CLUSTER_URLS": ",".join(redis_cluster.urls[:3])}) as app:
        yield app


def home_of(cluster, token):
    """The master that holds the keys of the token's user (hash tag ``{<user>}``)."""
    return cluster.master_of(f"{{{user_reference(token)}}}")


def test_warm_requests_are_one_mget_on_the_users_node(app, redis_cluster):
    token = login(app.url, "cora")
    assert [status(app.url, token) for _ in range(6)] == [200] * 6  # every worker connected
    redis_cluster.reset_stats()
    assert [status(app.url, token) for _ in range(WARM_REQUESTS)] == [200] * WARM_REQUESTS
    sent = {port: {name: calls for name, calls in commands.items() if name not in HOUSEKEEPING}
            for port, commands in redis_cluster.command_calls().items()}
    home = home_of(redis_cluster, token)
    assert sent.pop(home) == {"mget": WARM_REQUESTS}
    assert not any(sent.values()), sent
    assert app.fallbacks() == 0
    response = requests.post(app.url + "/wx/logout/", headers=bearer(token), timeout=TIMEOUT)
    assert response.status_code == 204
    assert [status(app.url, token) for _ in range(3)] == [401] * 3


def test_a_failover_and_a_slot_migration_under_traffic(app, redis_cluster):
    tokens = [login(app.url, f"fleet{i}") for i in range(12)]
    failed_over, moved = (user_reference(token) for token in tokens[:2])
    with Traffic(app.url, tokens) as traffic:
        time.sleep(1.5)
        master = redis_cluster.master_of(f"{{{failed_over}}}")
        failover_seconds = redis_cluster.failover(redis_cluster.replica_of(master))
        time.sleep(1.5)
        slot = key_slot(moved.encode())
        target = next(port for port in redis_cluster.masters()
                      if port != redis_cluster.slot_owner(slot))
        migration_seconds = redis_cluster.migrate_slot(slot, target)
        time.sleep(1.5)
    figures = {**traffic.figures(), "failover_s": round(failover_seconds, 2),
               "slot_migration_s": round(migration_seconds, 2),
               "cache_fallbacks_logged": app.fallbacks()}
    print(f"\nRedis Cluster failover and slot migration: {figures}")
    assert traffic.tally.server_errors == []
    assert traffic.tally.revoked_accepted == 0 and traffic.tally.live_refused == 0
    assert traffic.tally.logouts > 0 and traffic.tally.logins > 0
    assert redis_cluster.master_of(f"{{{failed_over}}}") != master
    assert redis_cluster.slot_owner(slot) == target
    assert {status(app.url, token) for token in traffic.live} == {200}
    assert {status(app.url, token) for token in traffic.revoked} == {401}
    token = login(app.url, "after")
    assert status(app.url, token) == 200
    requests.post(app.url + "/wx/logout/", headers=bearer(token), timeout=TIMEOUT)
    assert status(app.url, token) == 401
