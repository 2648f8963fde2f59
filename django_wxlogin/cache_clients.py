"""A django-redis client for Redis Cluster, which django-redis does not ship.

``RedisClusterClient`` points a django-redis cache at a Redis Cluster (or a cloud Redis in
cluster mode that shows its nodes to clients) through redis-py's ``RedisCluster``, which
follows the cluster as it changes: MOVED and ASK redirects, failovers, slot migrations.
``LOCATION`` names one or more nodes; the others are discovered::

    CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://10.0.0.1:6379,redis://10.0.0.2:6379",
        "OPTIONS": {"CLIENT_CLASS": "django_wxlogin.cache_clients.RedisClusterClient"},
    }}

A cluster has one database (0) and refuses a command whose keys lie in different slots, so the
operations on several keys (``get_many``, ``set_many``, ``delete_many``) are split by slot
here. Every command goes to the masters: a replica may still hold what was just deleted (a
revoked session), so options that read from replicas are refused.
"""

from __future__ import annotations

from typing import Any

import redis
from django.core.exceptions import ImproperlyConfigured
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.cluster import ClusterNode, RedisCluster
from redis.connection import SSLConnection, parse_url
from redis.exceptions import RedisError

REPLICA_READS = ("read_from_replicas", "load_balancing_strategy")
# redis-py runs MULTI/EXEC on a cluster since 6.1 (6.2 undid 6.1's change to TLS hostname checks).
CLUSTER_TRANSACTIONS = (6, 2)


class RedisClusterClient(DefaultClient):
    """django-redis's ``DefaultClient`` on one ``redis.cluster.RedisCluster`` per process.

    ``OPTIONS`` takes django-redis's connection options (``PASSWORD``, ``USERNAME``,
    ``SOCKET_TIMEOUT``, ``SOCKET_CONNECT_TIMEOUT``, ``PARSER_CLASS``) and, in
    ``REDIS_CLIENT_KWARGS``, any other ``RedisCluster`` argument.
    """

    def __init__(self, server: Any, params: dict[str, Any], backend: Any) -> None:
        super().__init__(server, params, backend)
        self._cluster: RedisCluster | None = None

    def get_client(self, write: bool = True, tried: list[int] | None = None,
                   *args: Any, **kwargs: Any) -> Any:
        """The process's ``RedisCluster`` (made on first use), for reads and writes alike."""
        if self._cluster is None:
            self._cluster = self.connect()
        return self._cluster

    def get_client_with_index(self, write: bool = True, tried: list[int] | None = None,
                              *args: Any, **kwargs: Any) -> tuple[Any, int]:
        return self.get_client(write), 0

    def connect(self, index: int = 0) -> RedisCluster:
        """A ``RedisCluster`` that knows every node ``LOCATION`` names."""
        if tuple(map(int, redis.__version__.split(".")[:2])) < CLUSTER_TRANSACTIONS:
            raise ImproperlyConfigured(
                f"RedisClusterClient needs redis-py 6.2 or newer (MULTI/EXEC on a cluster), "
                f'not {redis.__version__}: pip install "django-wxlogin[cluster]"')
        options = self.connection_factory.make_connection_params(self._server[0])
        options.pop("url")
        extra = dict(self._options.get("REDIS_CLIENT_KWARGS", {}))
        refused = sorted(set(extra) & set(REPLICA_READS))
        if refused:
            raise ImproperlyConfigured(
                f"RedisClusterClient reads from the masters only; drop {', '.join(refused)}.")
        nodes = []
        for location in self._server:
            url = parse_url(location if "://" in location else f"redis://{location}")
            if url.get("db", 0) != 0:
                raise ImproperlyConfigured(f"A Redis Cluster has database 0 only: {location}")
            if url.get("connection_class") is SSLConnection:
                options["ssl"] = True
            if url.get("password") and "password" not in options:
                options.update(username=url.get("username"), password=url["password"])
            nodes.append(ClusterNode(url.get("host", "127.0.0.1"), url.get("port", 6379)))
        return RedisCluster(startup_nodes=nodes, **options, **extra)

    def disconnect(self, index: int = 0, client: Any = None) -> None:
        client = client or self._cluster
        if client is not None:
            client.disconnect_connection_pools()

    def do_close_clients(self) -> None:
        self.disconnect()
        self._cluster = None

    def get_many(self, keys: Any, version: int | None = None,
                 client: Any = None) -> dict[Any, Any]:
        """Values of keys in any slots: one MGET per slot (``mget_nonatomic``)."""
        if not keys:
            return {}
        client = client or self.get_client()
        names = {self.make_key(key, version=version): key for key in keys}
        try:
            values = client.mget_nonatomic(list(names))
        except RedisError as exc:
            raise ConnectionInterrupted(connection=client) from exc
        return {names[name]: self.decode(value)
                for name, value in zip(names, values, strict=True) if value is not None}

    def keys(self, search: str, version: int | None = None, client: Any = None) -> list[Any]:
        """Keys matching ``search`` on every master (SCAN: KEYS would ask one node only)."""
        return list(self.iter_keys(search, version=version, client=client))
