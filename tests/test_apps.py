"""Several mini programs in one backend: choosing the app, one user per unionid."""

from __future__ import annotations

import pytest

from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.wechat.fake import encrypted_data_for, openid_for

from .conftest import BLOG, SHOP, bearer, fresh_code, log_in

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"


@pytest.fixture
def apps(settings):
    """The suite's app as "main", plus the shop and the blog."""
    base = {k: v for k, v in settings.WXLOGIN.items() if k not in ("APPID", "SECRET")}
    main = {"APPID": APPID, "SECRET": settings.WXLOGIN["SECRET"], "NAME": "main"}
    settings.WXLOGIN = {**base, "APPS": [main, SHOP, BLOG]}


@pytest.mark.usefixtures("apps")
class TestSeveralApps:
    @pytest.mark.parametrize("path", ["/wx/login/shop/", f"/wx/login/{SHOP['APPID']}/"])
    def test_the_url_names_the_app(self, api, path):
        response = api.post(path, {"code": fresh_code("alice")}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["user"]["openid"] == openid_for(SHOP["APPID"], "alice")
        assert WxSession.objects.get().appid == SHOP["APPID"]

    def test_the_body_names_the_app(self, api):
        response = api.post("/wx/login/", {"code": fresh_code("alice"), "app": "blog"},
                            format="json")
        assert response.status_code == 200, response.content
        assert WxUser.objects.get().appid == BLOG["APPID"]

    @pytest.mark.parametrize(("path", "body", "status"), [
        ("/wx/login/", {}, 400),  # several apps: one must be named
        ("/wx/login/nosuchapp/", {}, 404),  # a URL naming nothing
        ("/wx/login/", {"app": "nosuchapp"}, 400),
        ("/wx/login/", {"app": 7}, 400),
        ("/wx/login/shop/", {"app": "blog"}, 400),  # the URL and the body disagree
    ])
    def test_an_unknown_or_missing_app_is_refused_before_wechat(self, api, fake_wechat, path,
                                                               body, status):
        seen = len(fake_wechat.requests)
        response = api.post(path, {"code": fresh_code("alice"), **body}, format="json")
        assert response.status_code == status, response.content
        assert response.json()["code"] in ("unknown_app", "invalid_request")
        assert len(fake_wechat.requests) == seen
        assert WxUser.objects.count() == 0

    def test_the_same_app_in_url_and_body_is_fine(self, api):
        response = api.post("/wx/login/shop/", {"code": fresh_code(), "app": SHOP["APPID"]},
                            format="json")
        assert response.status_code == 200, response.content

    def test_a_shared_unionid_makes_one_user_with_an_identity_per_app(self, api):
        shop = api.post("/wx/login/shop/", {"code": fresh_code("alice")}, format="json").json()
        blog = api.post("/wx/login/blog/", {"code": fresh_code("alice")}, format="json").json()
        assert shop["user"]["id"] == blog["user"]["id"]
        assert shop["user"]["openid"] != blog["user"]["openid"]
        assert shop["user"]["unionid"] == blog["user"]["unionid"]
        assert blog["created"] is True  # a new identity: the moment to ask for a profile
        identities = WxUser.objects.filter(user_id=shop["user"]["id"])
        assert sorted(identities.values_list("appid", flat=True)) == sorted(
            [SHOP["APPID"], BLOG["APPID"]])
        again = api.post("/wx/login/blog/", {"code": fresh_code("alice")}, format="json").json()
        assert again["created"] is False and again["user"]["id"] == shop["user"]["id"]

    def test_without_a_unionid_each_app_has_its_own_user(self, api):
        shop = api.post("/wx/login/shop/", {"code": fresh_code("nounion1")}, format="json")
        blog = api.post("/wx/login/blog/", {"code": fresh_code("nounion1")}, format="json")
        assert shop.json()["user"]["id"] != blog.json()["user"]["id"]

    def test_single_session_is_per_app(self, api):
        first_shop, _ = log_in("alice", "/wx/login/shop/")
        blog, _ = log_in("alice", "/wx/login/blog/")
        assert api.get("/whoami/", **bearer(first_shop)).status_code == 200
        second_shop, _ = log_in("alice", "/wx/login/shop/")
        assert api.get("/whoami/", **bearer(first_shop)).status_code == 401
        assert api.get("/whoami/", **bearer(second_shop)).status_code == 200
        assert api.get("/whoami/", **bearer(blog)).status_code == 200

    def test_profile_phone_and_decrypt_use_the_app_of_the_session(self, api, fake_wechat):
        shop_token, shop_code = log_in("alice", "/wx/login/shop/")
        blog_token, _ = log_in("alice", "/wx/login/blog/")
        api.patch("/wx/profile/", {"nickname": "Shopper"}, format="json", **bearer(shop_token))
        assert api.get("/wx/profile/", **bearer(blog_token)).json()["nickname"] == ""

        response = api.post("/wx/phone/", {"code": "phone.13800138000"}, format="json",
                            **bearer(shop_token))
        assert response.status_code == 200, response.content
        phones = dict(WxUser.objects.values_list("appid", "phone_number"))
        assert phones == {SHOP["APPID"]: "13800138000", BLOG["APPID"]: ""}
        assert fake_wechat.calls("/cgi-bin/stable_token")[-1]["params"]["appid"] == \
            SHOP["APPID"]

        sealed = encrypted_data_for(SHOP["APPID"], shop_code, {"nickName": "Band"})
        assert api.post("/wx/decrypt/", sealed, format="json",
                        **bearer(shop_token)).status_code == 200
        # The blog's session has another session_key, and the shop's watermark.
        assert api.post("/wx/decrypt/", sealed, format="json",
                        **bearer(blog_token)).status_code == 400


def test_the_single_app_form_takes_its_appid_in_the_url_too(api):
    response = api.post(f"/wx/login/{APPID}/", {"code": fresh_code()}, format="json")
    assert response.status_code == 200, response.content
    response = api.post("/wx/login/shop/", {"code": fresh_code()}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "unknown_app"
