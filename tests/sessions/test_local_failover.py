"""The in-process layer across a Sentinel failover: the primary dies, a replica takes over, a
revocation reaches the new primary from another process, and no worker serves the revoked
session from memory."""

from __future__ import annotations

import pytest
from django_redis import get_redis_connection

from django_wxlogin import cache as wxlogin_cache
from django_wxlogin.sessions import local

from ..conftest import bearer
from ..deployments import SentinelGroup, running
from .conftest import token_of
from .test_local import revoke_elsewhere, warm

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_failover_is_not_trusted_from_memory(api, login, tmp_path, settings, monkeypatch):
    monkeypatch.setattr(wxlogin_cache, "_last_warned", {})
    with running(SentinelGroup(tmp_path)) as group:
        settings.CACHES = {"default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://{group.service}/0",
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.SentinelClient",
                        "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                        "SENTINELS": group.sentinels,
                        "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }}
        settings.WXLOGIN = {**settings.WXLOGIN, "LOCAL_CACHE": True, "CACHE_RETRY_AFTER": 0.2,
                            "LOCAL_CACHE_HEARTBEAT": 60}
        token = token_of(login)
        warm(api, token)
        layer = local._layers[get_redis_connection().connection_pool]
        assert layer.counts["hits"] >= 1
        group.kill_primary()
        group.wait_promoted()
        revoke_elsewhere(Primary(group.replica), token)
        assert api.get("/whoami/", **bearer(token)).status_code == 401
        assert layer.counts["flushes"] >= 1


class Primary:
    """The new primary, addressed directly by the revoking process."""

    def __init__(self, port: int) -> None:
        self.url = f"redis://127.0.0.1:{port}/0"


