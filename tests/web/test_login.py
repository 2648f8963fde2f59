"""Web login end to end: Django's test client as the browser, the fake WeChat over HTTP."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from rest_framework.test import APIClient

from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.wechat.fake import openid_for

from ..conftest import OFFICIAL_ACCOUNT, WEBSITE, bearer, fresh_code
from .conftest import BROWSER_ACCEPT, COOKIE, callback_path, through_wechat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("surfaces")]
OA = OFFICIAL_ACCOUNT["APPID"]


def test_an_official_account_login_sets_the_cookie_and_goes_to_next():
    browser = APIClient()
    done = through_wechat(browser, "oa", "alice", "/home/?tab=1")
    assert done.status_code == 302 and done["Location"] == "/home/?tab=1"
    assert done.cookies[COOKIE]["httponly"]
    wxuser = WxUser.objects.get(appid=OA)
    assert (wxuser.kind, wxuser.openid, wxuser.nickname) == (
        "official_account", openid_for(OA, "alice"), "Alice")
    assert wxuser.unionid and wxuser.avatar_url.startswith("https://")
    listed = browser.get("/wx/sessions/").json()
    assert [(s["surface"], s["appid"], s["current"]) for s in listed] == [
        ("official_account", OA, True)]


def test_the_login_redirect_names_the_app_scope_and_callback():
    start = APIClient().get("/wx/web/site/login/")
    url = urlsplit(start["Location"])
    query = parse_qs(url.query)
    assert url.path == "/connect/qrconnect" and url.fragment == "wechat_redirect"
    assert query["appid"] == [WEBSITE["APPID"]] and query["scope"] == ["snsapi_login"]
    assert query["redirect_uri"] == ["http://testserver/wx/web/site/callback/"]
    assert len(query["state"][0]) >= 43
    assert start.cookies["wxlogin_state"]["httponly"]
    oa = parse_qs(urlsplit(APIClient().get("/wx/web/oa/login/")["Location"]).query)
    assert oa["scope"] == ["snsapi_userinfo"]


def test_a_callback_opened_in_another_browser_is_refused():
    """Login CSRF: the attacker's own callback URL, opened in the victim's browser."""
    attacker = APIClient()
    start = attacker.get("/wx/web/oa/login/")
    wechat = requests.get(start["Location"].split("#")[0], params={"user": "mallory"},
                          timeout=10, allow_redirects=False)
    victim = APIClient()
    answer = victim.get(callback_path(wechat.headers["Location"]), HTTP_ACCEPT="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_state"
    assert COOKIE not in answer.cookies
    assert not WxUser.objects.exists() and not WxSession.objects.exists()


def test_wechat_loading_the_callback_twice_gives_one_session_and_one_exchange(fake_wechat):
    browser = APIClient()
    start = browser.get("/wx/web/oa/login/")
    wechat = requests.get(start["Location"].split("#")[0], params={"user": "alice"},
                          timeout=10, allow_redirects=False)
    path = callback_path(wechat.headers["Location"])
    before = len(fake_wechat.calls("/sns/oauth2/access_token"))
    first, second = browser.get(path), browser.get(path)
    assert first.status_code == second.status_code == 302
    assert first.cookies[COOKIE].value == second.cookies[COOKIE].value
    assert len(fake_wechat.calls("/sns/oauth2/access_token")) == before + 1  # no 40163
    assert WxSession.objects.count() == 1
    browser.post("/wx/web/logout/")
    replay = browser.get(path, HTTP_ACCEPT="application/json")
    assert replay.status_code == 400 and replay.json()["code"] == "invalid_state"
    assert not WxSession.objects.live().exists()


def test_a_state_is_good_for_one_code_only():
    browser = APIClient()
    done = through_wechat(browser, "oa", "alice")
    assert done.status_code == 302
    state = parse_qs(urlsplit(done.wsgi_request.get_full_path()).query)["state"][0]
    other = browser.get("/wx/web/oa/callback/", {"state": state, "code": fresh_code("alice")},
                        HTTP_ACCEPT="application/json")
    assert other.status_code == 400 and other.json()["code"] == "invalid_state"


def test_a_snapshot_page_identity_never_becomes_a_user():
    answer = through_wechat(APIClient(), "oa", "snapshot-dan")
    assert answer.status_code == 403
    assert 'data-code="snapshot_user"' in answer.content.decode()
    assert not WxUser.objects.exists() and not WxSession.objects.exists()


def test_a_silent_login_of_someone_unknown_asks_for_the_profile(settings):
    settings.WXLOGIN["APPS"][1] = {**OFFICIAL_ACCOUNT, "SCOPE": "snsapi_base"}
    # A name no earlier test used: the fake gives a unionid to snsapi_base once it was granted.
    person = f"bob{secrets.token_hex(4)}"
    browser = APIClient()
    first = browser.get("/wx/web/oa/login/")
    assert parse_qs(urlsplit(first["Location"]).query)["scope"] == ["snsapi_base"]
    wechat = requests.get(first["Location"].split("#")[0], params={"user": person}, timeout=10,
                          allow_redirects=False)
    onward = browser.get(callback_path(wechat.headers["Location"]))
    assert onward.status_code == 302
    assert parse_qs(urlsplit(onward["Location"]).query)["scope"] == ["snsapi_userinfo"]
    assert not WxUser.objects.exists()  # no identity without its unionid
    wechat = requests.get(onward["Location"].split("#")[0], params={"user": person},
                          timeout=10, allow_redirects=False)
    assert browser.get(callback_path(wechat.headers["Location"])).status_code == 302
    bob = WxUser.objects.get(appid=OA)
    assert bob.unionid and bob.nickname == person.capitalize()
    # Known now: the next silent login logs in without asking.
    again = through_wechat(APIClient(), "oa", person)
    assert again.status_code == 302 and again["Location"] == "/home/"
    assert WxUser.objects.count() == 1


def test_next_never_leaves_the_site_unless_the_host_is_allowed(settings):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)",
                   "/\\evil.example", "http://testserver.evil.example/"):
        assert through_wechat(APIClient(), "oa", "alice", target)["Location"] == "/"
    settings.WXLOGIN = {**settings.WXLOGIN, "WEB_REDIRECT_HOSTS": ["app.example.com"]}
    done = through_wechat(APIClient(), "oa", "alice", "http://app.example.com/x")
    assert done["Location"] == "http://app.example.com/x"


@pytest.mark.parametrize(("code", "status", "error"), [
    ("err.40029", 400, "invalid_code"), ("err.40163", 400, "invalid_code"),
    ("", 400, "invalid_code"), ("err.-1", 503, "wechat_unavailable"),
])
def test_wechat_errors_are_pages_or_json(code, status, error):
    browser = APIClient()
    start = browser.get("/wx/web/oa/login/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    page = browser.get("/wx/web/oa/callback/", {"state": state, "code": code},
                       HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert page.status_code == status and page["Content-Type"].startswith("text/html")
    assert f'data-code="{error}"' in page.content.decode()
    assert "微信登录失败" in page.content.decode() and 'lang="zh-hans"' in page.content.decode()
    start = browser.get("/wx/web/oa/login/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    body = browser.get("/wx/web/oa/callback/", {"state": state, "code": code})
    assert body.status_code == status and body.json()["code"] == error


def test_a_banned_user_gets_an_error_page_and_no_session():
    through_wechat(APIClient(), "oa", "alice")
    user = WxUser.objects.get(appid=OA).user
    user.is_active = False
    user.save()
    answer = through_wechat(APIClient(), "oa", "alice")
    assert answer.status_code == 403 and 'data-code="user_inactive"' in answer.content.decode()
    assert COOKIE not in answer.cookies and WxSession.objects.count() == 1  # the first one


def test_exchange_delivery_puts_a_one_time_code_in_the_fragment():
    done = through_wechat(APIClient(), "site", "alice", "/spa/#/old-route", deliver="exchange")
    assert done.status_code == 302 and COOKIE not in done.cookies
    target = urlsplit(done["Location"])
    assert target.path == "/spa/" and not target.query
    code = parse_qs(target.fragment)["wxlogin_code"][0]
    body = APIClient().post("/wx/web/exchange/", {"code": code}, format="json").json()
    assert body["user"]["openid"] == openid_for(WEBSITE["APPID"], "alice")
    session = WxSession.objects.get()
    assert (session.surface, session.appid) == ("website", WEBSITE["APPID"])
    assert APIClient().get("/wx/profile/", **bearer(body["token"])).status_code == 200


def test_only_web_apps_log_in_on_the_web():
    for app, code in (("mini", "wrong_kind"), ("app", "wrong_kind"), ("nope", "unknown_app")):
        answer = APIClient().get(f"/wx/web/{app}/login/", HTTP_ACCEPT="application/json")
        assert answer.status_code == 404 and answer.json()["code"] == code


def test_the_fake_shows_a_consent_page_and_wechats_own_errors():
    start = APIClient().get("/wx/web/oa/login/")
    page = requests.get(start["Location"].split("#")[0], timeout=10)
    assert page.status_code == 200 and 'value="alice"' in page.text
    bad = start["Location"].replace("snsapi_userinfo", "snsapi_login").split("#")[0]
    assert "10005" in requests.get(bad, timeout=10).text


def test_a_first_web_login_sends_user_created_and_every_one_user_logged_in():
    from django_wxlogin import signals

    seen: list[str] = []

    def created(sender, user, wxuser, **kwargs):
        seen.append(f"created {wxuser.kind}")

    def logged_in(sender, user, session, **kwargs):
        seen.append(f"in {session.surface}")

    signals.user_created.connect(created)
    signals.user_logged_in.connect(logged_in)
    try:
        through_wechat(APIClient(), "oa", "alice")
        through_wechat(APIClient(), "site", "alice")  # joins alice by unionid: no new user
    finally:
        signals.user_created.disconnect(created)
        signals.user_logged_in.disconnect(logged_in)
    assert seen == ["created official_account", "in official_account", "in website"]
