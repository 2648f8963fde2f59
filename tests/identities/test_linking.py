"""The identity graph's rules, each over HTTP against the fake WeChat where a surface has one."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from django_wxlogin.identities import linking
from django_wxlogin.identities.errors import SnapshotUser
from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.settings import wxlogin_settings
from django_wxlogin.wechat.fake import unionid_for
from django_wxlogin.wechat.oauth import OAuthIdentity

from ..conftest import OFFICIAL_ACCOUNT, WEBSITE, bearer, fresh_code
from ..web.conftest import COOKIE, through_wechat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("surfaces")]


def test_one_person_on_four_surfaces_is_one_user_and_one_logout_ends_all():
    """Rule 1: a new identity with a known unionid joins that user."""
    mini = APIClient().post("/wx/login/mini/", {"code": fresh_code("alice")}, format="json")
    oa_browser, site_browser = APIClient(), APIClient()
    assert through_wechat(oa_browser, "oa", "alice").status_code == 302
    assert through_wechat(site_browser, "site", "alice").status_code == 302
    app = APIClient().post("/wx/login/app/", {"code": fresh_code("alice")}, format="json")
    assert mini.status_code == app.status_code == 200
    assert app.json()["created"] is True  # a new identity, of the same user
    identities = WxUser.objects.all()
    assert sorted(w.kind for w in identities) == [
        "miniprogram", "mobile_app", "official_account", "website"]
    assert len({w.user_id for w in identities}) == 1 == get_user_model().objects.count()
    assert {w.unionid for w in identities} == {unionid_for("alice")}
    surfaces = {s["surface"] for s in oa_browser.get("/wx/sessions/").json()}
    assert surfaces == {"miniprogram", "official_account", "website", "mobile_app"}

    # Logging out everywhere from the website's cookie ends the other three too.
    assert site_browser.post("/wx/web/logout/all/").status_code == 204
    assert oa_browser.get("/web-whoami/").json() == {"user": None}
    for token in (mini.json()["token"], app.json()["token"]):
        assert APIClient().get("/wx/profile/", **bearer(token)).status_code == 401
    assert not WxSession.objects.live().exists()


def test_an_identity_without_unionid_never_joins_anyone():
    """Rule 2: nothing is matched by guesswork (same nickname, same person name)."""
    assert through_wechat(APIClient(), "oa", "nounion-carol").status_code == 302
    assert through_wechat(APIClient(), "site", "nounion-carol").status_code == 302
    carols = WxUser.objects.all()
    assert len(carols) == 2 and {w.nickname for w in carols} == {"Nounion-carol"}
    assert len({w.user_id for w in carols}) == 2
    assert all(w.unionid is None for w in carols)


def test_a_snapshot_identity_makes_and_joins_nobody(django_user_model):
    """Rule 3, below HTTP (the page is tested in tests/web/test_login.py)."""
    APIClient().post("/wx/login/mini/", {"code": fresh_code("alice")}, format="json")
    virtual = OAuthIdentity(openid="o-virtual", unionid=unionid_for("alice"),
                            scope="snsapi_userinfo", snapshot=True)
    with pytest.raises(SnapshotUser):
        linking.link(virtual, wxlogin_settings.app("oa"))
    assert WxUser.objects.count() == 1 and django_user_model.objects.count() == 1


def test_under_require_account_a_web_login_of_someone_unknown_creates_nothing(settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "REQUIRE_ACCOUNT": True}
    answer = through_wechat(APIClient(), "oa", "alice")
    assert answer.status_code == 403 and 'data-code="account_required"' in answer.content.decode()
    assert not WxUser.objects.exists() and not get_user_model().objects.exists()


def test_the_unionid_joins_a_user_even_when_first_seen_on_the_web():
    assert through_wechat(APIClient(), "site", "bob").status_code == 302
    mini = APIClient().post("/wx/login/mini/", {"code": fresh_code("bob")}, format="json")
    assert mini.status_code == 200
    assert WxUser.objects.get(appid=WEBSITE["APPID"]).user_id == \
        WxUser.objects.get(appid="wxtestapp0000001").user_id
    browser = APIClient()
    through_wechat(browser, "oa", "bob")
    assert browser.cookies[COOKIE].value
    assert WxUser.objects.get(appid=OFFICIAL_ACCOUNT["APPID"]).user_id == mini.json()["user"]["id"]
