"""Server-Sent Events of scan tickets under ASGI: thousands of browsers wait, none holds a worker.

Each process keeps ONE Redis pub/sub subscription, to the channel every ticket's transitions
are published on (``tickets.channel()``), and hands each message to the streams waiting on that
ticket, in memory. A waiting browser costs a queue and a coroutine, and no Redis command while
nothing happens: keep-alive comments are written without asking Redis. A stream reads its
ticket once when it starts and once per event of its own ticket. When the subscription drops,
it is made again and every stream re-reads its ticket, so no transition is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any

from django.conf import settings as django_settings
from redis import asyncio as aioredis

from ..settings import wxlogin_settings
from . import tickets

logger = logging.getLogger("django_wxlogin.scan")

RESYNC = "resync"
TICK = ""  # what the keep-alive timer puts in a stream's queue
RECONNECT_DELAY = 1.0
POOL_SIZE = 16  # connections per process for the streams' reads (the subscription holds one)
POOL_WAIT = 10.0  # seconds a read waits for one


def redis_url() -> str:
    """The shared cache's Redis (its first LOCATION)."""
    location = django_settings.CACHES[wxlogin_settings.CACHE_ALIAS]["LOCATION"]
    return str(location[0] if isinstance(location, list | tuple) else location)


class Hub:
    """This event loop's subscription and the streams waiting on it, by ticket ref."""

    def __init__(self) -> None:
        # Reads wait for one of a few connections (a resync makes every stream read at once).
        self.redis = aioredis.Redis(connection_pool=aioredis.BlockingConnectionPool.from_url(
            redis_url(), max_connections=POOL_SIZE, timeout=POOL_WAIT))
        self.waiting: dict[str, set[asyncio.Queue[str]]] = {}
        self.subscribed = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._listen())

    def join(self, ref: str) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self.waiting.setdefault(ref, set()).add(queue)
        return queue

    def leave(self, ref: str, queue: asyncio.Queue[str]) -> None:
        queues = self.waiting.get(ref)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self.waiting[ref]

    async def read(self, ref: str, poll: str) -> tuple[str, float]:
        fields = await self.redis.hmget(tickets.status_key(ref), *tickets.STATUS_FIELDS)
        return tickets.state_of(ref, poll, fields)

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(tickets.channel(tickets.db_of(self.redis)))
                self.subscribed.set()
                self._tell_all(RESYNC)  # whatever happened while it was down
                async for message in pubsub.listen():
                    ref, _, state = message["data"].decode().partition(" ")
                    for queue in self.waiting.get(ref, ()):
                        queue.put_nowait(state)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.subscribed.clear()
                logger.warning("Scan event subscription lost (%s); resubscribing",
                               type(exc).__name__)
                await asyncio.sleep(RECONNECT_DELAY)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _tell_all(self, state: str) -> None:
        for queues in self.waiting.values():
            for queue in queues:
                queue.put_nowait(state)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """The running loop's hub, made on first use (one subscription per process and loop)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found


def subscriptions() -> int:
    """How many subscriptions this process holds (one per event loop that served a stream)."""
    return len(_hubs)


def _event(state: str, left: float) -> str:
    return f"event: state\ndata: {{\"state\": \"{state}\", \"expires_in\": {int(left)}}}\n\n"


async def stream(ref: str, poll: str) -> AsyncGenerator[str, None]:
    """The ticket's state as events until it is final (confirmed, cancelled, expired...)."""
    waiting = hub()
    queue = waiting.join(ref)  # before the first read: no transition slips in between
    keepalive = float(wxlogin_settings.SCAN_EVENTS_KEEPALIVE)
    try:
        yield "retry: 2000\n\n"
        await waiting.subscribed.wait()
        state, left = await waiting.read(ref, poll)
        yield _event(state, left)
        deadline = time.monotonic() + left
        loop = asyncio.get_running_loop()
        while state not in tickets.FINAL:
            # A timer that drops a TICK in the queue: lighter than wait_for's task per wait.
            timer = loop.call_later(max(0.0, min(keepalive, deadline - time.monotonic())),
                                    queue.put_nowait, TICK)
            told = await queue.get()
            timer.cancel()
            if told == TICK and time.monotonic() < deadline:
                yield ": keep-alive\n\n"
                continue
            was = state
            state, left = await waiting.read(ref, poll)
            if state != was:  # a resync that found nothing new says nothing
                yield _event(state, left)
    finally:
        waiting.leave(ref, queue)


def is_asgi(request: Any) -> bool:
    """Whether ``request`` is served by an ASGI server, where event streams cost no worker."""
    from django.core.handlers.asgi import ASGIRequest

    return isinstance(getattr(request, "_request", request), ASGIRequest)
