"""Mobile app login: the SDK's code at login/<app>/, answered like a mini program login."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.wechat.fake import openid_for, unionid_for

from ..conftest import MOBILE_APP, bearer, fresh_code

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("surfaces")]
APP = MOBILE_APP["APPID"]


def _exchanges(fake_wechat) -> int:
    return len([c for c in fake_wechat.calls("/sns/oauth2/access_token")
                if c["params"]["appid"] == APP])


def test_an_sdk_code_logs_in_like_a_mini_program(fake_wechat):
    before = _exchanges(fake_wechat)
    code = fresh_code("alice")
    answer = APIClient().post("/wx/login/app/", {"code": code}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["created"] is True and body["token_type"] == "Bearer"
    assert body["user"]["openid"] == openid_for(APP, "alice")
    assert body["user"]["unionid"] == unionid_for("alice")
    wxuser = WxUser.objects.get(appid=APP)
    assert (wxuser.kind, wxuser.nickname) == ("mobile_app", "Alice")
    assert WxSession.objects.get().surface == "mobile_app"
    assert APIClient().get("/wx/profile/", **bearer(body["token"])).status_code == 200
    again = APIClient().post("/wx/login/app/", {"code": code}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "duplicate_code"
    assert _exchanges(fake_wechat) == before + 1


def test_sdk_code_errors_are_the_mini_programs():
    answer = APIClient().post("/wx/login/app/", {"code": "err.40029"}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_code"


def test_web_apps_cannot_log_in_with_a_code():
    for app in ("oa", "site"):
        answer = APIClient().post(f"/wx/login/{app}/", {"code": fresh_code()}, format="json")
        assert answer.status_code == 404 and answer.json()["code"] == "wrong_kind"
    assert not WxUser.objects.exists()
