"""Web login in a real browser (Debian's chromium, driven by Playwright) against the example
project under gunicorn, on PostgreSQL and a Redis of its own, with the fake WeChat over HTTP:
the consent page, the callback, the logged-in page, logout, a replayed callback URL, a
cross-origin logout without the CSRF token, WeChat's double redirect, and a banned user."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.wechat.fake import FakeWeChat

from ..conftest import OFFICIAL_ACCOUNT, WEBSITE, database_url
from ..docs_blocks import ROOT
from ..test_admin_browser import CHROMIUM, CHROMIUM_ARGS
from ..test_example_project import DEVELOPMENT, serve_example

pytestmark = pytest.mark.django_db(transaction=True)
MINI = {"NAME": "mini", "APPID": "wxtestapp0000001", "SECRET": "s3cr3t-appsecret-never-logged"}


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see test_admin_browser.py


@pytest.fixture
def site(tmp_path) -> Iterator[tuple[str, dict, FakeWeChat]]:
    """The example project's URL and environment, and the fake WeChat it talks to."""
    apps = [MINI, OFFICIAL_ACCOUNT, WEBSITE]
    with FakeWeChat({a["APPID"]: a["SECRET"] for a in apps}) as fake:
        settings = {**DEVELOPMENT, "WXLOGIN_API_BASE_URL": fake.url,
                    "WXLOGIN_OPEN_BASE_URL": fake.url, "DATABASE_URL": database_url(),
                    "WXLOGIN_APPS": ",".join(":".join(a[k] for k in ("NAME", "APPID", "SECRET")
                                                      if k in a) + (f":{a['KIND']}" if "KIND" in a
                                                                    else "") for a in apps)}
        with serve_example(tmp_path, settings) as (url, env):
            yield url, env, fake


@pytest.fixture
def page(tmp_path) -> Iterator[Page]:
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()
            # The test's queries ran beside Playwright's event loop, on a connection of that
            # context's own: closed here, or the suite's database could not be dropped.
            connections.close_all()


def log_in(page: Page, url: str, app: str, who: str) -> list[str]:
    """Log in from the example's home page through the fake's consent page; the callback URLs
    the browser loaded."""
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/callback/" in r.url else None)
    page.goto(f"{url}/")
    page.get_by_role("link", name=f"Log in with WeChat ({app}").click()
    expect(page.locator("h1")).to_have_text("Fake WeChat")
    page.get_by_role("button", name=who, exact=True).click()
    return callbacks


def test_log_in_log_out_and_replay(site, page):
    url, _, _ = site
    callbacks = log_in(page, url, "official_account", "alice")
    expect(page.locator("#who")).to_contain_text("Logged in as user")
    expect(page.locator("#surface")).to_have_text("official_account")
    expect(page.locator("#identities")).to_contain_text("Alice")
    cookie = next(c for c in page.context.cookies() if c["name"] == "wxlogin_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("wxlogin_session") == -1  # not for scripts

    page.click("#logout")
    expect(page.locator("#who")).to_have_text("Not logged in.")
    assert not WxSession.objects.live().exists()

    # The same callback URL again (history, a shared link): no session comes back.
    response = page.goto(callbacks[-1])
    assert response is not None and response.status == 400
    expect(page.locator(".wxlogin-error")).to_have_attribute("data-code", "invalid_state")
    page.goto(f"{url}/")
    expect(page.locator("#who")).to_have_text("Not logged in.")
    assert WxSession.objects.count() == 1


def test_a_logout_from_another_origin_without_csrf_token_fails(site, page):
    url, _, fake = site
    log_in(page, url, "website", "bob")
    expect(page.locator("#surface")).to_have_text("website")
    page.goto(f"{fake.url}/attacker")  # another origin on the same site: the cookie rides along
    with page.expect_response(lambda r: "/wx/web/logout/all/" in r.url) as answer:
        page.evaluate("""action => {
            const form = document.createElement("form");
            form.method = "post"; form.action = action;
            document.body.appendChild(form); form.submit(); }""", f"{url}/wx/web/logout/all/")
    assert answer.value.status == 403 and "CSRF" in answer.value.text()
    page.goto(f"{url}/")
    expect(page.locator("#who")).to_contain_text("Logged in as user")
    assert WxSession.objects.live().count() == 1


def test_wechat_redirecting_twice_logs_in_once(site, page):
    url, _, fake = site
    fake.double_redirects = True
    callbacks = log_in(page, url, "official_account", "bob")
    expect(page.locator("#who")).to_contain_text("Logged in as user")
    assert len(callbacks) >= 2 and len(set(callbacks)) == 1  # one code, loaded twice
    assert WxSession.objects.count() == 1
    assert len(fake.calls("/sns/oauth2/access_token")) == 1


def test_a_banned_user_is_out_at_once_and_cannot_log_in_again(site, page):
    url, env, _ = site
    log_in(page, url, "official_account", "alice")
    expect(page.locator("#who")).to_contain_text("Logged in as user")
    user_pk = WxUser.objects.get().user_id
    ban = (f"from django.contrib.auth import get_user_model; u = get_user_model().objects.get("
           f"pk={user_pk}); u.is_active = False; u.save()")
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", ban], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    page.goto(f"{url}/")
    expect(page.locator("#who")).to_have_text("Not logged in.")
    log_in(page, url, "official_account", "alice")
    expect(page.locator(".wxlogin-error")).to_have_attribute("data-code", "user_inactive")
    assert WxSession.objects.count() == 1
