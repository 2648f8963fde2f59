"""Scan to log in in a real browser: Debian's chromium, driven by Playwright, on the example
project's login page served by uvicorn. The test reads the code off the page as a phone would,
a mini-program user scans and confirms over HTTP, and the page ends logged in as that user."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.conf import settings
from playwright.sync_api import Page, expect, sync_playwright

from ..conftest import database_url, fresh_code
from ..deployments import wait_for
from ..services import free_port
from ..test_admin_browser import CHROMIUM, CHROMIUM_ARGS
from .conftest import CAMERA, decode_code

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see test_admin_browser.py


def example_env(fake_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WXLOGIN_", "DJANGO_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DJANGO_DEBUG": "1", "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
            "WXLOGIN_API_BASE_URL": fake_url, "WXLOGIN_APPID": settings.WXLOGIN["APPID"],
            "WXLOGIN_SECRET": settings.WXLOGIN["SECRET"], "WXLOGIN_SCAN_TTL": "120", **extra}


@contextmanager
def example(fake_url: str, **extra: str) -> Iterator[str]:
    """The example project under one uvicorn process; its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "example_project.asgi:application", "--port",
         str(port), "--log-level", "warning", "--no-access-log"],
        env=example_env(fake_url, **extra), cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("the example under uvicorn", lambda: _up(url))
        yield url
    finally:
        process.terminate()
        try:
            process.wait(3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _up(url: str) -> bool | None:
    try:
        return requests.get(f"{url}/login/scan/", timeout=2).ok or None
    except requests.ConnectionError:
        return None


@pytest.fixture
def site(fake_wechat) -> Iterator[str]:
    with example(fake_wechat.url) as url:
        yield url


@contextmanager
def browsers(count: int = 1) -> Iterator[list[Page]]:
    """``count`` pages in chromium, each in a context (cookie jar) of its own."""
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            pages = [chromium.new_context().new_page() for _ in range(count)]
            for page in pages:
                page.set_default_timeout(15_000)
            yield pages
        finally:
            chromium.close()


@contextmanager
def browser() -> Iterator[Page]:
    with browsers(1) as (page,):
        yield page


def shown_scene(page: Page) -> str:
    """The scene of the code the page shows, decoded from its pixels."""
    image = page.locator("img.wxlogin-scan-code")
    expect(image).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    src = image.get_attribute("src") or ""
    page_path, scene = decode_code(base64.b64decode(src.split(",", 1)[1]))
    assert page_path == "pages/scan/confirm"
    return scene


class Phone:
    """A mini-program user talking to the site over HTTP with its token."""

    def __init__(self, url: str, user: str) -> None:
        self.url = url
        answer = requests.post(f"{url}/wx/login/", json={"code": fresh_code(user)}, timeout=10)
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["token"]
        self.user_id = answer.json()["user"]["id"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def describe(self, scene: str, launch_scene: int = CAMERA) -> requests.Response:
        return requests.get(f"{self.url}/wx/scan/{scene}/", params={"launch_scene": launch_scene},
                            headers=self.headers, timeout=10)

    def confirm(self, scene: str, launch_scene: int = CAMERA) -> requests.Response:
        return requests.post(f"{self.url}/wx/scan/{scene}/confirm/", headers=self.headers,
                             json={"launch_scene": launch_scene}, timeout=10)

    def cancel(self, scene: str) -> requests.Response:
        return requests.post(f"{self.url}/wx/scan/{scene}/cancel/", headers=self.headers,
                             timeout=10)


def test_scan_and_confirm_logs_the_browser_in(site, django_user_model):
    phone = Phone(site, "scanner")
    with browser() as page:
        page.goto(f"{site}/login/scan/")
        scene = shown_scene(page)
        expect(page.locator("#wx-scan")).to_have_attribute("data-state", "issued")
        expect(page.locator(".wxlogin-scan-countdown")).to_contain_text("s left")
        shown = phone.describe(scene)
        assert shown.status_code == 200, shown.text
        assert shown.json()["ip_address"] == "127.0.0.1"
        assert "Chrome" in shown.json()["user_agent"]
        expect(page.locator(".wxlogin-scan-message")).to_have_text(
            "Scanned: confirm on your phone")
        assert phone.confirm(scene).status_code == 200
        expect(page.locator("#logged-in")).to_be_visible()
        user = django_user_model.objects.get(pk=phone.user_id)
        expect(page.locator("#username")).to_have_text(user.get_username())
        # The session went to this browser once: a replayed confirm and a second claim fail.
        assert phone.confirm(scene).json()["code"] == "scan_used"
        assert phone.confirm(scene).status_code == 409
        # The browser's login left the scanning phone's own session alone.
        assert requests.get(f"{site}/wx/profile/", headers=phone.headers,
                            timeout=10).status_code == 200
        page.reload()
        expect(page.locator("#username")).to_have_text(user.get_username())


def test_a_second_browser_knowing_the_scene_gets_nothing(site):
    phone = Phone(site, "victim")
    with browsers(2) as (page, other):
        page.goto(f"{site}/login/scan/")
        scene = shown_scene(page)
        other.goto(f"{site}/login/scan/")  # a ticket of its own, and a poll cookie of its own
        shown_scene(other)
        other.context.add_cookies([{"name": "wxlogin_scan", "value": f"{scene}.guessed",
                                    "url": site}])
        phone.describe(scene)
        phone.confirm(scene)
        expect(page.locator("#logged-in")).to_be_visible()
        status = other.evaluate("fetch('/wx/web/scan/status/').then(r => r.json())")
        assert status["state"] == "unknown"
        claim = other.evaluate("fetch('/wx/web/scan/session/', {method: 'POST'})"
                               ".then(r => r.json())")
        assert claim["code"] in ("scan_unknown", "scan_used")
        other.goto(f"{site}/login/scan/")
        expect(other.locator("#logged-in")).to_have_count(0)


def test_cancel_on_the_phone_brings_a_fresh_code(site):
    phone = Phone(site, "canceller")
    with browser() as page:
        page.goto(f"{site}/login/scan/")
        scene = shown_scene(page)
        phone.describe(scene)
        assert phone.cancel(scene).json() == {"state": "cancelled"}
        expect(page.locator("#wx-scan")).to_have_attribute("data-state", "cancelled")
        expect(page.locator("#wx-scan")).to_have_attribute("data-state", "issued")
        assert shown_scene(page) != scene
        assert phone.confirm(scene).json()["code"] == "scan_cancelled"


def test_a_forwarded_screenshot_cannot_log_the_page_in(site):
    phone = Phone(site, "forwarded")
    with browser() as page:
        page.goto(f"{site}/login/scan/")
        scene = shown_scene(page)
        refused = phone.describe(scene, launch_scene=1048)
        assert refused.status_code == 403 and refused.json()["code"] == "scan_forwarded"
        assert phone.confirm(scene, launch_scene=1049).status_code == 403
        expect(page.locator("#wx-scan")).to_have_attribute("data-state", "issued")


def test_an_expired_code_is_replaced_and_cannot_be_confirmed(fake_wechat):
    with example(fake_wechat.url, WXLOGIN_SCAN_TTL="3") as url, \
            browser() as page:
        phone = Phone(url, "late")
        page.goto(f"{url}/login/scan/")
        scene = shown_scene(page)
        expect(page.locator("#wx-scan")).to_have_attribute("data-state", "expired")
        answer = phone.describe(scene)
        assert answer.status_code == 410 and answer.json()["code"] == "scan_expired"
        expect(page.locator("#wx-scan")).to_have_attribute("data-state", "issued")
        assert shown_scene(page) != scene


def test_a_banned_user_cannot_log_the_page_in(site, django_user_model):
    phone = Phone(site, "banned")
    with browser() as page:
        page.goto(f"{site}/login/scan/")
        scene = shown_scene(page)
        assert phone.describe(scene).status_code == 200
        user = django_user_model.objects.get(pk=phone.user_id)
        user.is_active = False
        user.save()  # in this process: the site's worker must refuse the token anyway
        refused = phone.confirm(scene)
        assert refused.status_code in (401, 403), refused.text
        expect(page.locator("#wx-scan")).to_have_attribute("data-state", "scanned")
        expect(page.locator("#logged-in")).to_have_count(0)
