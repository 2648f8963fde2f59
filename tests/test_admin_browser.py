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


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_session_list_fits_the_screen_and_a_session_page_revokes(live_server, superuser,
                                                                     tmp_path, width):
    """Every column in view beside the filters, the person by nickname or openid (not the
    generated username), and a Revoke button on a session's own page."""
    long_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 " \
                 "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323a) " \
                 "NetType/WIFI Language/zh_CN miniProgram/wx0000000000000000"
    response = requests.post(f"{live_server.url}/wx/login/", timeout=10,
                             json={"code": fresh_code("dora")}, headers={"User-Agent": long_agent})
    token = response.json()["token"]
    session = WxSession.objects.get()
    openid = openid_for(APPID, "dora")

    with admin_browser(live_server, tmp_path / "profile") as page:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/admin/django_wxlogin/wxsession/")
        results = page.locator("div.results")
        overflow = results.evaluate("e => e.scrollWidth - e.clientWidth")
        right = page.locator("#result_list").evaluate("e => e.getBoundingClientRect().right")
        assert overflow <= 0 and right <= width, (overflow, right)
        row = page.inner_text("#result_list tbody tr")
        assert openid in row and session.user.get_username() not in row
        assert long_agent[:32] in row and long_agent not in row

        page.get_by_role("link", name=f"{session.digest_prefix}…").click()
        page.click("#wxlogin-revoke")
        assert "Revoked 1 session." in page.inner_text(".messagelist")
        expect(page.locator("#wxlogin-revoke")).to_have_count(0)  # nothing left to revoke
        page.screenshot(path=str(tmp_path / "session.png"))

    assert whoami(live_server, token) == (401, "session_expired")
    assert WxSession.objects.get().revoke_reason == "admin"
