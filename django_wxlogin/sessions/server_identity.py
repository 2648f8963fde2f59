"""Which lifetime of the Redis server a cache talks to.

Redis gives every start a new ``run_id``. A session cache entry is trusted only under the
run_id it was written under, so a Redis restarted from an older snapshot (which may hold
sessions revoked since) is told apart without asking the database on every request. A restart
drops every connection, and each new connection learns the run_id through redis-py's
``redis_connect_func`` hook, so the hot path pays nothing for it. On a Redis Cluster each node
has its own run_id: the one that counts is that of the master holding the key, so a failover
of that master or a restart of that node is told apart the same way.
"""

from __future__ import annotations

import re
import weakref
from typing import Any

_RUN_ID = re.compile(rb"run_id:([0-9a-f]+)")
# connection pool -> run_id of the server its newest connection reached
_run_ids: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _parse(raw: Any) -> str:
    if isinstance(raw, dict):
        return str(raw.get("run_id", ""))[:12]
    if isinstance(raw, str):
        raw = raw.encode()
    match = _RUN_ID.search(raw) if isinstance(raw, bytes) else None
    return match.group(1).decode()[:12] if match else ""


def _hook(pool: Any, previous: Any):
    pool_ref = weakref.ref(pool)

    def on_connect(connection: Any) -> None:
        if previous is None:
            connection.on_connect()
        else:
            previous(connection)
        connection.send_command("INFO", "server")
        run_id = _parse(connection.read_response())
        target = pool_ref()
        if target is not None:
            _run_ids[target] = run_id

    on_connect.wxlogin = True  # type: ignore[attr-defined]
    return on_connect


def _install(pool: Any) -> None:
    """Hook new connections, and the pool's existing ones for when they reconnect."""
    previous = pool.connection_kwargs.get("redis_connect_func")
    if getattr(previous, "wxlogin", False):
        return
    hook = _hook(pool, previous)
    pool.connection_kwargs["redis_connect_func"] = hook
    existing = [*getattr(pool, "_available_connections", ()),
                *getattr(pool, "_in_use_connections", ())]
    for connection in existing:
        connection.redis_connect_func = hook


def client_run_id(client: Any, key: str | bytes | None = None) -> str:
    """The run_id of the server a redis-py client talks to, on a cluster (``RedisCluster``)
    the master that serves ``key`` now: a dict lookup once its pool is known (the session
    store asks on every request, with the client it already holds)."""
    if hasattr(client, "get_node_from_key"):
        client = client.get_redis_connection(client.get_node_from_key(key))
    pool = client.connection_pool
    known = _run_ids.get(pool)
    if known is None:
        _install(pool)
        known = _run_ids[pool] = _parse(client.info("server"))
    return known
