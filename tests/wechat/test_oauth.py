"""WeChat's OAuth calls (wechat/oauth.py) against the fake WeChat over HTTP, and the fake's
scripted behaviour (wechat/fake/oauth.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from django_wxlogin.exceptions import InvalidCode, WeChatUnavailable
from django_wxlogin.settings import WxApp
from django_wxlogin.wechat import oauth
from django_wxlogin.wechat.client import WeChatClient
from django_wxlogin.wechat.fake import FakeWeChat, openid_for, unionid_for
from django_wxlogin.wechat.redaction import redact

from ..conftest import MOBILE_APP, OFFICIAL_ACCOUNT, WEBSITE, fresh_code

OA = WxApp(OFFICIAL_ACCOUNT["APPID"], OFFICIAL_ACCOUNT["SECRET"], "oa", "official_account")
SITE = WxApp(WEBSITE["APPID"], WEBSITE["SECRET"], "site", "website")


@pytest.fixture
def oa(fake_wechat: FakeWeChat) -> WeChatClient:
    return WeChatClient(OA.appid, OA.secret, fake_wechat.url)


def _code(fake: FakeWeChat, app: WxApp, user: str, scope: str) -> str:
    """A code from the fake's authorize page, as the browser brings it back."""
    url = oauth.authorize_url(app, "https://example.com/cb", scope, "st")
    answer = requests.get(url.split("#")[0], params={"user": user}, timeout=10,
                          allow_redirects=False)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["st"]
    return query["code"][0]


def test_userinfo_scope_gives_unionid_nickname_and_avatar(fake_wechat, oa):
    identity = oauth.exchange_code(oa, _code(fake_wechat, OA, "alice", oauth.USERINFO))
    assert (identity.openid, identity.unionid, identity.scope, identity.snapshot) == (
        openid_for(OA.appid, "alice"), unionid_for("alice"), oauth.USERINFO, False)
    assert "access_token" not in repr(identity) and identity.access_token not in repr(identity)
    full = oauth.userinfo(oa, identity)
    assert (full.nickname, full.unionid) == ("Alice", unionid_for("alice"))
    assert full.avatar_url.startswith("https://")
    assert oauth.access_token_valid(oa, full)


def test_base_scope_gives_no_profile_and_no_unionid_until_granted(fake_wechat, oa):
    base = oauth.exchange_code(oa, _code(fake_wechat, OA, "erin", oauth.BASE))
    assert base.unionid is None and not base.has_profile_scope
    assert oauth.userinfo(oa, base) is base  # nothing to ask
    oauth.exchange_code(oa, _code(fake_wechat, OA, "erin", oauth.USERINFO))
    again = oauth.exchange_code(oa, _code(fake_wechat, OA, "erin", oauth.BASE))
    assert again.unionid == unionid_for("erin")  # as WeChat may, after a userinfo grant


def test_a_code_works_once_and_for_its_app_only(fake_wechat, oa):
    code = _code(fake_wechat, OA, "alice", oauth.USERINFO)
    site = WeChatClient(SITE.appid, SITE.secret, fake_wechat.url)
    with pytest.raises(InvalidCode) as error:
        oauth.exchange_code(site, code)
    assert error.value.errcode == 40029
    oauth.exchange_code(oa, code)
    with pytest.raises(InvalidCode) as error:
        oauth.exchange_code(oa, code)
    assert error.value.errcode == 40163


def test_snapshot_users_are_virtual(fake_wechat, oa):
    identity = oauth.userinfo(oa, oauth.exchange_code(
        oa, _code(fake_wechat, OA, "snapshot-dan", oauth.USERINFO)))
    assert identity.snapshot and identity.openid != openid_for(OA.appid, "snapshot-dan")


def test_refresh_gives_a_new_access_token(fake_wechat, oa):
    identity = oauth.exchange_code(oa, _code(fake_wechat, OA, "alice", oauth.USERINFO))
    renewed = oauth.refresh(oa, identity.refresh_token)
    assert renewed.openid == identity.openid and renewed.access_token != identity.access_token
    with pytest.raises(WeChatUnavailable):
        oauth.refresh(oa, "URT-forged")


def test_mobile_sdk_codes_and_scripted_errors(fake_wechat):
    app = WeChatClient(MOBILE_APP["APPID"], MOBILE_APP["SECRET"], fake_wechat.url)
    identity = oauth.exchange_code(app, fresh_code("bob"))
    assert identity.scope == oauth.USERINFO and identity.unionid == unionid_for("bob")
    with pytest.raises(WeChatUnavailable):
        oauth.exchange_code(app, "err.-1")


def test_website_apps_use_the_qr_page_and_official_accounts_the_authorize_page():
    site = urlsplit(oauth.authorize_url(SITE, "https://example.com/cb", oauth.LOGIN, "s"))
    assert site.path == "/connect/qrconnect" and site.fragment == "wechat_redirect"
    assert list(parse_qs(site.query)) == ["appid", "redirect_uri", "response_type", "scope",
                                          "state"]
    assert urlsplit(oauth.authorize_url(OA, "https://e/cb", oauth.BASE, "s")).path == \
        "/connect/oauth2/authorize"
    assert oauth.default_scope(SITE) == oauth.LOGIN
    assert oauth.default_scope(OA) == oauth.USERINFO


def test_the_fake_checks_the_redirect_domain_and_logs_no_secret():
    with FakeWeChat({OA.appid: OA.secret}, redirect_hosts={OA.appid: "ok.example"}) as fake:
        url = f"{fake.url}/connect/oauth2/authorize"
        query = {"appid": OA.appid, "scope": "snsapi_base", "state": "s", "user": "alice"}
        refused = requests.get(url, params={**query, "redirect_uri": "https://evil.example/"},
                               timeout=10)
        assert "10003" in refused.text
        ok = requests.get(url, params={**query, "redirect_uri": "https://ok.example/cb"},
                          timeout=10, allow_redirects=False)
        code = parse_qs(urlsplit(ok.headers["Location"]).query)["code"][0]
        identity = oauth.exchange_code(WeChatClient(OA.appid, OA.secret, fake.url), code)
        logged = repr(fake.requests)
        for secret in (OA.secret, code, identity.access_token, identity.refresh_token):
            assert secret not in logged


def test_refresh_tokens_are_redacted_from_logs():
    assert redact("GET /sns/oauth2/refresh_token?appid=wx1&refresh_token=URT-x") == \
        "GET /sns/oauth2/refresh_token?appid=wx1&refresh_token=***"
