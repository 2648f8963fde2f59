"""Redis Sentinel (a primary, a replica, three sentinels) behind django-redis's SentinelClient,
the example project under gunicorn: the primary killed under load costs no error and
resurrects no revoked token; after the promotion live tokens, logins and logouts work, served
from the new primary."""

from __future__ import annotations

import time

import pytest
import requests
from django.conf import settings

from .deployed import TIMEOUT, Traffic, bearer, database, login, serve, status
from .deployments import SentinelGroup, redis_at, running

pytestmark = pytest.mark.deployment


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sentinel")
    with running(SentinelGroup(directory)) as group, \
            database(settings.DATABASES["default"], "_sentinel") as url, \
            serve(directory, {
                "DATABASE_URL": url, "REDIS_SENTINEL_SERVICE": group.service,
                "REDIS_SENTINELS": ",".join(f"{host}:{port}" for host, port in group.sentinels),
                "WXLOGIN_CACHE_RETRY_AFTER": "1"}) as app:
        yield app, group


def test_the_primary_killed_under_load(deployment):
    app, group = deployment
    tokens = [login(app.url, f"crowd{i}") for i in range(12)]
    with Traffic(app.url, tokens) as traffic:
        time.sleep(1.5)
        group.kill_primary()
        promotion_seconds = group.wait_promoted()
        time.sleep(3)
    figures = {**traffic.figures(), "promotion_s": round(promotion_seconds, 2),
               "cache_fallbacks_logged": app.fallbacks()}
    print(f"\nRedis Sentinel, primary killed: {figures}")
    assert traffic.tally.server_errors == []
    assert traffic.tally.revoked_accepted == 0 and traffic.tally.live_refused == 0
    assert traffic.tally.logouts > 0 and traffic.tally.logins > 0
    assert {status(app.url, token) for token in traffic.live} == {200}
    assert {status(app.url, token) for token in traffic.revoked} == {401}
    token = login(app.url, "afterwards")
    new_primary = redis_at(group.replica)
    new_primary.execute_command("CONFIG", "RESETSTAT")
    assert [status(app.url, token) for _ in range(5)] == [200] * 5
    # Reads reach the new primary; after each worker's first, its in-process cache (tracking
    # the new primary) may answer instead.
    assert 1 <= new_primary.info("commandstats")["cmdstat_mget"]["calls"] <= 5
    assert new_primary.client_list(_type="pubsub")  # the workers' tracking connections
    response = requests.post(app.url + "/wx/logout/", headers=bearer(token), timeout=TIMEOUT)
    assert response.status_code == 204 and status(app.url, token) == 401
