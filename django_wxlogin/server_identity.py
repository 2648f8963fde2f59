"""Which lifetime of the Redis server this process talks to.

Redis gives every start a new ``run_id``. A session cache entry is trusted only under the
run_id it was written under: a Redis restarted from an older snapshot (which may hold sessions
revoked since) is told apart without asking the database on every request. New connections,
which a restart forces, learn the run_id through redis-py's ``redis_connect_func`` hook, so the
hot path pays nothing for it.
"""

from __future__ import annotations

import os
import re
from typing import Any

from django.core.cache.backends.base import BaseCache

_RUN_ID = re.compile(rb"run_id:([0-9a-f]+)")
_state: dict[str, Any] = {"pid": None, "run_id": "", "clients": set()}


def _remember(raw: Any) -> None:
    if isinstance(raw, dict):
        _state["run_id"] = str(raw.get("run_id", ""))[:12]
        return
    if isinstance(raw, str):
        raw = raw.encode()
    match = _RUN_ID.search(raw) if isinstance(raw, bytes) else None
    _state["run_id"] = match.group(1).decode()[:12] if match else ""


def _hooked(previous: Any):
    def on_connect(connection: Any) -> None:
        if previous is None:
            connection.on_connect()
        else:
            previous(connection)
        connection.send_command("INFO", "server")
        _remember(connection.read_response())

    on_connect.wxlogin = True  # type: ignore[attr-defined]
    return on_connect


def run_id(cache: BaseCache) -> str:
    """The run_id of the cache's Redis server ("" for caches that are not django-redis)."""
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    if get_client is None:
        return ""
    if _state["pid"] != os.getpid():
        _state.update(pid=os.getpid(), clients=set())
    client = get_client(write=True)
    if id(client) not in _state["clients"]:
        kwargs = client.connection_pool.connection_kwargs
        previous = kwargs.get("redis_connect_func")
        if not getattr(previous, "wxlogin", False):
            kwargs["redis_connect_func"] = _hooked(previous)
        _remember(client.execute_command("INFO", "server"))
        _state["clients"].add(id(client))
    return _state["run_id"]
