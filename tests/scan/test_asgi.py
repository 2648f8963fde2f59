"""The event stream in front of Django, driven in this process as an ASGI server drives it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from django_wxlogin.scan import events
from django_wxlogin.scan.asgi import with_scan_events

from .conftest import new_browser, new_phone

pytestmark = pytest.mark.django_db(transaction=True)


def scope(path: str, cookie: str | None = None) -> dict[str, Any]:
    headers = [(b"cookie", f"wxlogin_scan={cookie}".encode())] if cookie else []
    return {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": headers}


async def inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def serve(path: str, cookie: str | None, *, leave_after: int = 0) -> list[dict[str, Any]]:
    """What the app sends; the browser goes away after ``leave_after`` body parts (0: stays)."""
    sent: list[dict[str, Any]] = []

    async def run() -> list[dict[str, Any]]:
        gone = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if leave_after and len(sent) > leave_after:
                gone.set()

        await asyncio.wait_for(with_scan_events(inner)(scope(path, cookie), receive, send), 10)
        waiting = sum(len(queues) for queues in events.hub().waiting.values())
        sent.append({"waiting_after": waiting})
        return sent

    return asyncio.run(run())


def test_other_paths_go_to_django():
    assert serve("/wx/web/scan/status/", None)[0]["status"] == 204


def test_no_cookie_is_a_403_in_json():
    sent = serve("/wx/web/scan/events/", None)
    assert sent[0]["status"] == 403
    assert b'"not_authenticated"' in sent[1]["body"]


def test_a_final_state_ends_the_stream():
    browser, phone = new_browser(), new_phone()
    phone.describe(browser.scene)
    phone.cancel(browser.scene)
    sent = serve("/wx/web/scan/events/", browser.client.cookies["wxlogin_scan"].value)
    assert sent[0]["status"] == 200
    assert (b"x-accel-buffering", b"no") in sent[0]["headers"]
    assert b'"cancelled"' in sent[2]["body"]
    assert sent[-2] == {"type": "http.response.body", "body": b""}
    assert sent[-1] == {"waiting_after": 0}


def test_a_browser_that_leaves_stops_waiting():
    browser = new_browser()
    sent = serve("/wx/web/scan/events/", browser.client.cookies["wxlogin_scan"].value,
                 leave_after=2)
    assert b'"issued"' in sent[2]["body"]
    assert sent[-1] == {"waiting_after": 0}
