"""msgSecCheck v2 and mediaCheckAsync v2 against the fake WeChat, through the access token."""

from __future__ import annotations

import pytest
import requests

from django_wxlogin.exceptions import WeChatRateLimited, WeChatUnavailable
from django_wxlogin.settings import wxlogin_settings
from django_wxlogin.wechat import content_security
from django_wxlogin.wechat.fake import FakeWeChat, openid_for

from ..conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def openid() -> str:
    log_in("ann")  # WeChat checks only people who used the mini program lately
    return openid_for(wxlogin_settings.app().appid, "ann")


@pytest.mark.parametrize(("content", "verdict"), [
    ("Ann", ("pass", 100)), ("so risky", ("risky", 20001)), ("to review", ("review", 21000))])
def test_check_text(openid, content, verdict):
    suggestion = content_security.check_text(wxlogin_settings.app(), openid, content)
    assert (suggestion.suggest, suggestion.label) == verdict


def test_check_text_errors(openid):
    with pytest.raises(WeChatRateLimited):
        content_security.check_text(wxlogin_settings.app(), openid, "err.45011 Ann")
    with pytest.raises(WeChatUnavailable):
        content_security.check_text(wxlogin_settings.app(), "o-unknown", "Ann")  # 61010


def test_start_image_check(openid, fake_wechat: FakeWeChat):
    trace_id = content_security.start_image_check(wxlogin_settings.app(), openid,
                                                  "http://127.0.0.1:9/a.png")
    assert trace_id in fake_wechat.media_checks
    assert fake_wechat.calls("/wxa/media_check_async")[-1]["params"]["version"] == 2


def test_a_verdict_must_be_known():
    with pytest.raises(WeChatUnavailable):
        content_security.parse_result({"result": {"suggest": "ok"}})
    assert content_security.parse_result({"result": {"suggest": "pass", "label": "x"}}) == \
        content_security.Suggestion("pass", None)


def test_the_fake_refuses_v1_bodies(openid, fake_wechat: FakeWeChat):
    token = requests.post(f"{fake_wechat.url}/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": wxlogin_settings.app().appid,
        "secret": wxlogin_settings.app().secret}).json()["access_token"]
    v1 = requests.post(f"{fake_wechat.url}/wxa/msg_sec_check", params={"access_token": token},
                       json={"content": "Ann"}).json()
    assert v1["errcode"] == 40097
    assert requests.post(f"{fake_wechat.url}/wxa/msg_sec_check",
                         json={"version": 2}).json()["errcode"] == 41001
