"""The session entries a worker has read, kept in its memory until Redis says they changed.

A warm request then costs no round trip: Redis's server-assisted client-side caching
(``CLIENT TRACKING``, Redis 6+) tells every worker about every write to the session entries,
and a worker serves an entry from memory only while it is sure no such message is missing.
redis-py's own client-side cache needs Redis 7.4; this works from Redis 6 on every redis-py
the package supports.

**One tracking connection per process and Redis server**, of its own (RESP2, never in the
pool): ``CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX <the package's key prefix>``,
then ``SUBSCRIBE __redis__:invalidate``. Broadcasting mode names every key written under the
prefix, whoever wrote it and whichever connection read it, so the entries may be read through
any pooled connection and the pool needs no hook; and a connection that redirects to itself
fails as one piece (never "tracking on, redirect broken"). The cost: every write under the
prefix (a login, a refill, a "last seen", a revocation, on any host) sends every worker a
message of a few dozen bytes.

**The guarantee stays exact.** Redis queues the invalidation of a key on the tracking
connections before the writer's reply leaves (broadcasts are flushed first in the same event
loop turn), so by the time a logout's response reaches the client, the message is on its way to
every worker ahead of any request the client sends next. Before serving from memory a worker
reads everything already delivered to it (``poll`` with no timeout: no round trip). An entry is
stored only if no invalidation and no flush was read since the worker sent its ``MGET``
(``epoch``), so a message drained by another thread while the reply was on its way cannot be
overtaken. A worker's own writes drop its entries of them at once (``forget``): on a busy
host the message can reach the writer's tracking socket a moment after the reply. The layer
is emptied, and requests go to Redis as before, whenever the worker cannot
tell it is current:

- the tracking connection is closed, killed (``CLIENT KILL``), errs or says something
  unexpected; Redis restarts; Sentinel reconfigures the old primary (it kills its clients);
- the pool's connections reach another server (another ``run_id``) than the tracking one;
- Redis was flushed (``FLUSHALL``/``FLUSHDB`` send a null invalidation);
- the process forked (the child starts empty).

A primary that dies silently (no FIN, no RST) cannot say anything: the worker pings it on the
tracking connection and serves from memory only within ``LOCAL_CACHE_HEARTBEAT`` seconds of a
ping it has seen answered. A failover takes Sentinel's ``down-after-milliseconds`` at least,
so with a heartbeat shorter than that, no revocation can reach a new primary while a worker
still trusts the old one. The answer comes on the same stream as the invalidations, after
every one Redis sent before it: whatever delays a message, a worker serving from memory is
never more than the heartbeat behind Redis. Over-invalidation is always safe: tracking spans
a whole server, so a write or flush in another database of it empties entries too.

Redis Cluster, sharded django-redis clients, custom key functions that do not keep
``CACHE_KEY_PREFIX`` at the front of the key, and caches other than django-redis: the layer turns
itself off and every request reads Redis as before.

Bounded per process (``LOCAL_CACHE_MAX_ENTRIES`` and ``LOCAL_CACHE_MAX_BYTES``, least recently
used first out). Its counters are in :func:`stats`; each process also writes them to the cache
every ``REPORT_INTERVAL`` seconds, where ``manage.py wxlogin_localcache`` reads every
worker's.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import redis

from ..cache import is_down
from ..settings import DEFAULTS, wxlogin_settings
from .server_identity import _parse as parse_run_id
from .server_identity import client_run_id

logger = logging.getLogger("django_wxlogin.store")

CHANNEL = "__redis__:invalidate"
ENTRY_OVERHEAD = 120  # bytes an entry costs besides its key and value: dict slot, LRU links
REPORT_INTERVAL = 30.0  # seconds between two writes of a process's counters to the cache
COUNTERS = ("hits", "misses", "invalidations", "flushes")


def _setting(conf: dict[str, Any], name: str) -> Any:
    return conf.get(name, DEFAULTS[name])


class Layer:
    """The entries of one Redis server in this process, and the connection that tracks them.

    Every method takes ``lock``: gthread workers serve requests in threads.
    """

    def __init__(self, pool: Any, prefix: str) -> None:
        # The server's address and credentials, without the pool's hooks; redis-py 8's
        # maintenance notifications need RESP3, which would swallow the invalidations.
        kwargs = {k: v for k, v in pool.connection_kwargs.items()
                  if k != "redis_connect_func" and not k.startswith("maint_notifications")}
        kwargs["protocol"] = 2  # invalidations as pub/sub messages on every redis-py version
        connection_class = pool.connection_class  # not the pool: it keys the layer, weakly
        self._connect_new: Callable[[], Any] = lambda: connection_class(**kwargs)
        self.prefix = prefix
        self.lock = threading.Lock()
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.size = 0
        self.epoch = 0  # moves on every invalidation read and every flush
        self.counts = dict.fromkeys(COUNTERS, 0)
        self.conn: Any = None
        self.poller: Any = None
        self.run_id = ""
        self.alive_at = 0.0  # Redis answered at or after this moment (monotonic)
        self.ping_at: float | None = None  # when the unanswered PING was sent
        self.retry_at = 0.0
        self.reported_at = float("-inf")  # the first report on the first request

    # --- the tracking connection ------------------------------------------------------------

    def _connect(self, conf: dict[str, Any]) -> None:
        now = time.monotonic()
        if now < self.retry_at or is_down():
            return
        conn = self._connect_new()
        try:
            conn.connect()
            conn.send_command("CLIENT", "ID")
            conn.send_command("INFO", "server")
            client_id = conn.read_response()
            run_id = parse_run_id(conn.read_response())
            conn.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST",
                              "PREFIX", self.prefix)
            conn.send_command("SUBSCRIBE", CHANNEL)
            conn.read_response()
            conn.read_response()
        except (redis.RedisError, OSError) as exc:
            conn.disconnect()
            refused = isinstance(exc, redis.ResponseError)  # e.g. a proxy without tracking
            self._wait(conf, forever=refused)
            logger.warning("Local session cache: no tracking connection (%s)%s",
                           type(exc).__name__, ": off for this server" if refused else "")
            return
        self.conn, self.run_id, self.alive_at, self.ping_at = conn, run_id, now, None
        self.poller = _poller(conn)
        self._flush(count=False)

    def _wait(self, conf: dict[str, Any], forever: bool = False) -> None:
        """Make no new tracking connection for ``CACHE_RETRY_AFTER`` seconds (or ever)."""
        self.retry_at = float("inf") if forever else \
            time.monotonic() + float(_setting(conf, "CACHE_RETRY_AFTER"))

    def _lose(self, why: str) -> None:
        """Forget the connection and everything it vouched for."""
        if self.conn is not None:
            self.conn.disconnect()
            logger.warning("Local session cache: tracking connection lost (%s)", why)
        self.conn = self.poller = None
        self._flush()

    def _flush(self, count: bool = True) -> None:
        self.entries.clear()
        self.size = 0
        self.epoch += 1
        if count:
            self.counts["flushes"] += 1

    def _drain(self) -> bool:
        """Read every message already delivered, without waiting; False when not tracking."""
        conn = self.conn
        if conn is None:
            return False
        if self.poller is not None and not self.poller(0):
            return True
        try:
            while conn.can_read(0):
                self._handle(conn.read_response())
        except (redis.RedisError, OSError, ValueError) as exc:
            self._lose(type(exc).__name__)
        return self.conn is not None

    def _handle(self, message: Any) -> None:
        kind = message[0] if isinstance(message, list) and message else None
        if kind == b"message" and message[1] == CHANNEL.encode():
            keys = message[2]
            self.epoch += 1
            if keys is None:  # FLUSHALL, FLUSHDB
                self._flush()
                return
            for key in keys:
                self._pop(key.decode())
            self.counts["invalidations"] += len(keys)
        elif kind == b"pong" and self.ping_at is not None:
            self.alive_at, self.ping_at = self.ping_at, None
        else:
            raise ValueError("unexpected message on the tracking connection")

    def _current(self, run_id: str, conf: dict[str, Any]) -> bool:
        """Drained and tracking the server the pool reaches now (connecting if need be)."""
        if self.conn is None:
            self._connect(conf)
        if not self._drain():
            return False
        if self.run_id != run_id:  # a failover or restart the pool has seen first
            self._lose("the pool reaches another server")
            self._wait(conf)  # and a proxy in front of several servers: no reconnect storm
            return False
        return True

    def _fresh(self, conf: dict[str, Any]) -> bool:
        """Whether a ping answered less than ``LOCAL_CACHE_HEARTBEAT`` ago vouches for the
        connection; pings when the last answer is half that old."""
        heartbeat = float(_setting(conf, "LOCAL_CACHE_HEARTBEAT"))
        now = time.monotonic()
        age = now - self.alive_at
        if age >= heartbeat / 2 and self.ping_at is None:
            try:
                self.conn.send_command("PING")
            except (redis.RedisError, OSError) as exc:
                self._lose(type(exc).__name__)
                return False
            self.ping_at = now
        return age < heartbeat

    # --- the entries ------------------------------------------------------------------------

    def _pop(self, key: str) -> None:
        value = self.entries.pop(key, None)
        if value is not None:
            self.size -= _cost(key, value)

    def lookup(self, keys: list[str], run_id: str, conf: dict[str, Any]
               ) -> tuple[list[bytes] | None, int | None]:
        """The values of ``keys`` from memory, or None and the epoch to store a read under
        (None: do not store)."""
        with self.lock:
            if not self._current(run_id, conf):
                self.counts["misses"] += 1
                return None, None
            entries = self.entries
            if all(key in entries for key in keys) and self._fresh(conf):
                for key in keys:
                    entries.move_to_end(key)
                self.counts["hits"] += 1
                return [entries[key] for key in keys], None
            self.counts["misses"] += 1
            return None, self.epoch

    def store(self, epoch: int, keys: list[str], values: list[bytes | None], run_id: str,
              conf: dict[str, Any]) -> None:
        """Keep what an ``MGET`` sent after ``epoch`` returned, unless an invalidation or a
        flush was read since, or it came from another server."""
        max_entries = int(_setting(conf, "LOCAL_CACHE_MAX_ENTRIES"))
        max_bytes = int(_setting(conf, "LOCAL_CACHE_MAX_BYTES"))
        with self.lock:
            if not self._drain() or self.epoch != epoch or run_id != self.run_id:
                return
            entries = self.entries
            for key, value in zip(keys, values, strict=True):
                if value is not None:
                    self._pop(key)
                    entries[key] = value
                    self.size += _cost(key, value)
            while entries and (len(entries) > max_entries or self.size > max_bytes):
                key, value = entries.popitem(last=False)
                self.size -= _cost(key, value)

    def forget(self, keys: list[str]) -> None:
        """Drop entries this process has just written or deleted, and refuse any read in
        flight: its own writes never wait for their invalidation to come back."""
        with self.lock:
            for key in keys:
                self._pop(key)
            self.epoch += 1

    def figures(self) -> dict[str, int]:
        with self.lock:
            return {**self.counts, "entries": len(self.entries), "bytes": self.size,
                    "tracking": int(self.conn is not None)}


def _cost(key: str, value: bytes) -> int:
    return sys.getsizeof(key) + sys.getsizeof(value) + ENTRY_OVERHEAD


def _poller(conn: Any) -> Callable[[int], Any] | None:
    """``poll(0)`` on the connection's socket: a syscall, no round trip (None: ask redis-py)."""
    sock = getattr(conn, "_sock", None)
    if not isinstance(sock, socket.socket) or not hasattr(select, "poll"):
        return None
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return poller.poll


# --- one layer per connection pool and process ---------------------------------------------

_layers: weakref.WeakKeyDictionary[Any, Layer] = weakref.WeakKeyDictionary()
_layers_lock = threading.Lock()
_pid = [os.getpid()]


def _layer_for(pool: Any, prefix: str) -> Layer:
    """The layer of a pool (the cache's primary), made on first use."""
    if os.getpid() != _pid[0]:  # a forked worker: the parent's sockets are not its own
        _layers.clear()
        _pid[0] = os.getpid()
    layer = _layers.get(pool)
    if layer is not None and layer.prefix == prefix:
        return layer
    with _layers_lock:
        layer = _layers.get(pool)
        if layer is None or layer.prefix != prefix:
            if layer is not None:
                with layer.lock:
                    layer._lose("CACHE_KEY_PREFIX changed")
            layer = _layers[pool] = Layer(pool, prefix)
    return layer


def read(entries: Any, names: list[str], conf: dict[str, Any]
         ) -> tuple[list[bytes | None], str]:
    """``entries.read(names)``, from memory when the layer can vouch for it (see above)."""
    if not _setting(conf, "LOCAL_CACHE"):
        return entries.read(names)
    cache = entries.cache
    client = entries.client.get_client(write=True)
    prefix = cache.make_key(f"{_setting(conf, 'CACHE_KEY_PREFIX')}:")
    keys = [cache.make_key(name) for name in names]
    if not isinstance(client, redis.Redis) or not all(key.startswith(prefix) for key in keys):
        return entries.read(names)  # a cluster, or a KEY_FUNCTION that moves the prefix
    layer = _layer_for(client.connection_pool, prefix)
    run_id = client_run_id(client)
    found, epoch = layer.lookup(keys, run_id, conf)
    if found is not None:
        values: list[bytes | None] = list(found)
    else:
        values, run_id = entries.read(names)
        if epoch is not None:
            layer.store(epoch, keys, values, run_id, conf)
    if time.monotonic() - layer.reported_at >= REPORT_INTERVAL:
        _report(layer, cache, client, conf)
    return values, run_id


def forget(client: Any, keys: list[str]) -> None:
    """After this process wrote or deleted ``keys`` through ``client``: its layer drops them
    at once (another process learns of the write through its invalidation)."""
    pool = getattr(client, "connection_pool", None)  # a cluster client has none, nor a layer
    layer = None if pool is None else _layers.get(pool)
    if layer is not None:
        layer.forget(keys)


# --- counters -------------------------------------------------------------------------------

def stats() -> dict[str, int]:
    """This process's counters, summed over its layers."""
    total = dict.fromkeys((*COUNTERS, "entries", "bytes", "tracking"), 0)
    for layer in list(_layers.values()):
        for name, value in layer.figures().items():
            total[name] += value
    return total


def report_key(conf: dict[str, Any] | None = None) -> str:
    """The cache entry (a hash) where each process writes its counters: outside the tracked
    prefix, so reports invalidate nothing."""
    conf = wxlogin_settings.user_settings if conf is None else conf
    return f"{_setting(conf, 'CACHE_KEY_PREFIX')}-localcache"


def _report(layer: Layer, cache: Any, client: Any, conf: dict[str, Any]) -> None:
    """Write the layer's figures to its own Redis under ``<host>:<pid>``, at most once per
    interval."""
    layer.reported_at = time.monotonic()
    figures = {**layer.figures(), "at": int(time.time())}
    key = cache.make_key(report_key(conf))
    try:
        pipeline = client.pipeline(transaction=False)
        pipeline.hset(key, f"{socket.gethostname()}:{os.getpid()}", json.dumps(figures))
        pipeline.expire(key, int(REPORT_INTERVAL * 3))
        pipeline.execute()
    except (redis.RedisError, OSError) as exc:
        logger.info("Local session cache: counters not reported (%s)", type(exc).__name__)


def reports(cache: Any, conf: dict[str, Any] | None = None) -> dict[str, dict[str, int]]:
    """Every live process's last figures by ``<host>:<pid>`` (those not reported for three
    intervals are dropped: the process is gone)."""
    client = cache.client.get_client(write=True)
    key = cache.make_key(report_key(conf))
    found = {field.decode(): json.loads(value) for field, value in client.hgetall(key).items()}
    stale = [name for name, figures in found.items()
             if time.time() - figures["at"] > REPORT_INTERVAL * 3]
    if stale:
        client.hdel(key, *stale)
    return {name: figures for name, figures in sorted(found.items()) if name not in stale}
