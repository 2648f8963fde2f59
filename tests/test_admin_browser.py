"""The admin in a real browser: Debian's chromium, driven by Playwright, against a live server.

Tokens come from the real login API over HTTP (the fake WeChat behind it) and are checked on
``/whoami/`` over HTTP, before (cached) and after the admin revokes them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect, sync_playwright

from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.wechat.fake import openid_for

from .conftest import fresh_code

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "browser-test-password"


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API drives an asyncio loop from this thread; Django's async-safety check
    # would refuse ORM calls made while it is active. Safe here: the loop only drives chromium.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)


@contextmanager
def admin_browser(live_server, profile: Path) -> Iterator[Page]:
    """A chromium page logged in to the admin as the superuser, with a fresh profile."""
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        # Playwright passes the profile to chromium as --user-data-dir.
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/admin/")
            page.fill("#id_username", "root")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            expect(page.locator("#user-tools")).to_contain_text("root")
            yield page
        finally:
            context.close()


def api_login(live_server, user: str) -> str:
    response = requests.post(f"{live_server.url}/wx/login/", json={"code": fresh_code(user)},
                             timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def whoami(live_server, token: str) -> tuple[int, str | None]:
    response = requests.get(f"{live_server.url}/whoami/", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
    return response.status_code, None if response.ok else response.json()["code"]


def run_action(page: Page, pk: int, action: str) -> str:
    """Tick one row, run an action, and return the admin's message."""
    page.check(f'input.action-select[value="{pk}"]')
    page.select_option('select[name="action"]', action)
    page.click('button[name="index"]')
    return page.inner_text(".messagelist")


def assert_no_secrets(html: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in html
    assert "session_key" not in html


def test_revoke_all_sessions_of_a_user(live_server, superuser, settings, tmp_path):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    alice = [api_login(live_server, "alice") for _ in range(2)]
    bob = api_login(live_server, "bob")
    for token in (*alice, bob):
        assert whoami(live_server, token) == (200, None)  # now in Redis
    openid = openid_for(APPID, "alice")
    wxuser = WxUser.objects.get(openid=openid)
    sessions = list(WxSession.objects.filter(user=wxuser.user))

    with admin_browser(live_server, tmp_path / "profile") as page:
        page.locator("#content-main").get_by_role("link", name="WeChat users").click()
        page.fill("#searchbar", openid)
        page.press("#searchbar", "Enter")
        rows = page.locator("#result_list tbody tr")
        expect(rows).to_have_count(1)
        rows.first.get_by_role("link", name=openid).click()

        expect(page.locator("table.wxlogin-sessions tbody tr")).to_have_count(2)
        shown = page.inner_text("table.wxlogin-sessions")
        for session in sessions:
            assert f"{session.digest_prefix}…" in shown
        assert_no_secrets(page.content(), wxuser.session_key, *alice,
                          *(s.digest for s in sessions))
        screenshot = tmp_path / "wxuser.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 0

        page.go_back()
        message = run_action(page, wxuser.pk, "revoke_users")
        assert "Revoked 2 sessions." in message

    for token in alice:
        assert whoami(live_server, token) == (401, "session_expired")
    assert whoami(live_server, bob) == (200, None)


def test_revoke_one_session(live_server, superuser, tmp_path):
    token = api_login(live_server, "carol")
    assert whoami(live_server, token) == (200, None)
    session = WxSession.objects.get()

    with admin_browser(live_server, tmp_path / "profile") as page:
        page.locator("#content-main").get_by_role("link", name="Sessions").click()
        page.fill("#searchbar", openid_for(APPID, "carol"))
        page.press("#searchbar", "Enter")
        expect(page.locator("#result_list tbody tr")).to_have_count(1)
        assert f"{session.digest_prefix}…" in page.inner_text("#result_list")
        assert_no_secrets(page.content(), token, session.digest)

        message = run_action(page, session.pk, "revoke_sessions")
        assert "Revoked 1 session." in message
        assert "revoked in the admin" in page.inner_text("#result_list")
        screenshot = tmp_path / "sessions.png"
        page.screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 0

    assert whoami(live_server, token) == (401, "session_expired")
