"""The event stream as a bare ASGI route in front of Django, for many waiting browsers.

``GET web/scan/events/`` through Django's handler costs some 60 KiB of memory per open stream
(the request, DRF's wrapper, the handler's tasks). ``with_scan_events`` answers that one path
itself, before Django, with the same stream (``events.stream``) and the same cookie check, and
hands every other request to Django untouched::

    application = with_scan_events(get_asgi_application())
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.http.cookie import parse_cookie
from django.urls import reverse

from ..settings import wxlogin_settings
from . import events, tickets

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store"),
           (b"x-accel-buffering", b"no")]


def with_scan_events(app: App) -> App:
    """``app`` with ``GET <wherever django_wxlogin.urls is>/web/scan/events/`` answered here."""
    path: list[str] = []

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return await app(scope, receive, send)
        if not path:
            path.append(scope.get("root_path", "") + reverse("wxlogin:scan-events"))
        if scope["path"] != path[0]:
            return await app(scope, receive, send)
        await _serve(scope, receive, send)

    return application


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            return parse_cookie(value.decode("latin-1")).get(wxlogin_settings.SCAN_COOKIE_NAME)
    return None


async def _serve(scope: Scope, receive: Receive, send: Send) -> None:
    credential = tickets.split_cookie(_cookie(scope))
    if credential is None:
        body = json.dumps({"code": "not_authenticated",
                           "detail": "This browser holds no login code; ask for one."}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    stream = events.stream(*credential)
    streaming = asyncio.current_task()

    async def until_gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if streaming is not None:
            streaming.cancel()

    watcher = asyncio.ensure_future(until_gone())
    try:
        async for part in stream:
            await send({"type": "http.response.body", "body": part.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    except asyncio.CancelledError:
        if not watcher.done():
            raise  # cancelled from outside (the server shutting down)
    finally:
        watcher.cancel()
        await stream.aclose()
