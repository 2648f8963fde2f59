"""Event streams under uvicorn: the browser learns each transition as it happens, and one
process holds one subscription however many browsers wait."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import AsyncClient

from ..conftest import database_url
from ..deployments import wait_for
from ..services import free_port
from .conftest import Browser, new_browser, new_phone

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["tests.scan.asgi_app:application", "django.core.asgi:asgi"])
def asgi_server(request, fake_wechat) -> Iterator[str]:
    """The test settings served by one uvicorn process, on this test's database and Redis: the
    stream answered in front of Django (``with_scan_events``), or by Django's own view."""
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT),
           "TEST_DATABASE_URL": database_url(), "TEST_REDIS_URL": settings.REDIS_URL}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *_app(request.param), "--port", str(port),
         "--log-level", "warning", "--no-access-log"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("uvicorn", lambda: _answers(url))
        yield url
    finally:
        process.terminate()  # open streams hold a graceful shutdown: kill after a moment
        try:
            process.wait(3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _app(name: str) -> list[str]:
    if name == "django.core.asgi:asgi":
        return ["--factory", "django.core.asgi:get_asgi_application"]
    return [name]


def _answers(url: str) -> bool | None:
    try:
        requests.get(f"{url}/wx/web/scan/status/", timeout=1)
    except requests.ConnectionError:
        return None
    return True


def events(url: str, browser: Browser) -> Iterator[dict]:
    cookie = browser.client.cookies["wxlogin_scan"].value
    with requests.get(f"{url}/wx/web/scan/events/", cookies={"wxlogin_scan": cookie},
                      stream=True, timeout=(3, 30)) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["X-Accel-Buffering"] == "no"
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("data: "):
                yield json.loads(line.removeprefix("data: "))


def subscribers() -> int:
    from django_wxlogin.scan import tickets

    client = redis.Redis.from_url(settings.REDIS_URL)
    db = int(client.connection_pool.connection_kwargs.get("db") or 0)
    return int(dict(client.pubsub_numsub(tickets.channel(db)))[tickets.channel(db).encode()])


def test_the_stream_follows_scan_and_confirm_then_ends(asgi_server):
    browser, phone = new_browser(), new_phone()
    stream = events(asgi_server, browser)
    assert next(stream)["state"] == "issued"
    assert phone.describe(browser.scene).status_code == 200
    assert next(stream)["state"] == "scanned"
    assert phone.confirm(browser.scene).status_code == 200
    assert next(stream)["state"] == "confirmed"
    assert list(stream) == []  # a final state ends the stream


def test_a_cancel_ends_the_stream_and_a_stranger_learns_nothing(asgi_server):
    browser, phone = new_browser(), new_phone()
    stranger = new_browser()
    stranger.client.cookies["wxlogin_scan"] = f"{browser.scene}.not-the-secret"
    assert list(events(asgi_server, stranger)) == [{"state": "unknown", "expires_in": 0}]
    stream = events(asgi_server, browser)
    assert next(stream)["state"] == "issued"
    phone.cancel(browser.scene)
    assert next(stream)["state"] == "cancelled"


def test_many_waiting_browsers_share_one_subscription(asgi_server):
    browsers = [new_browser() for _ in range(12)]
    streams = [events(asgi_server, b) for b in browsers]
    assert all(next(s)["state"] == "issued" for s in streams)
    assert subscribers() == 1
    phone = new_phone()
    phone.describe(browsers[5].scene)
    phone.confirm(browsers[5].scene)
    assert [e["state"] for e in streams[5]] == ["scanned", "confirmed"]
    for stream in streams:
        stream.close()


def test_the_ticket_answer_names_the_stream_under_asgi():
    answer = async_to_sync(AsyncClient().post)("/wx/web/scan/", {},
                                               content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["events_url"] == "/wx/web/scan/events/"
    assert "events_url" not in new_browser().body  # WSGI: polling
