"""Asking the fake WeChat whether a stored session_key is still the current one."""

from __future__ import annotations

import pytest
import requests
from django.conf import settings
from django.core.management import CommandError, call_command

from django_wxlogin.models import WxUser
from django_wxlogin.wechat.fake import openid_for
from django_wxlogin.wechat.session_keys import check_session_key

from ..conftest import fresh_code, log_in

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"


def _wx_login_elsewhere(fake_wechat, user: str) -> None:
    """A wx.login our backend never hears of: WeChat hands the user a new session_key."""
    answer = requests.get(f"{fake_wechat.url}/sns/jscode2session", timeout=5, params={
        "appid": APPID, "secret": settings.WXLOGIN["SECRET"], "js_code": fresh_code(user),
        "grant_type": "authorization_code"}).json()
    assert "session_key" in answer


def test_the_latest_session_key_is_valid_and_a_replaced_one_is_not(fake_wechat):
    log_in("alice")
    assert check_session_key(WxUser.objects.get()) is True
    _wx_login_elsewhere(fake_wechat, "alice")
    assert check_session_key(WxUser.objects.get()) is False
    log_in("alice")  # logging in again stores the new key
    assert check_session_key(WxUser.objects.get()) is True
    assert fake_wechat.calls("/wxa/checksession")[-1]["params"]["sig_method"] == "hmac_sha256"


def test_no_stored_session_key_is_invalid_without_asking(fake_wechat):
    log_in("alice")
    WxUser.objects.update(session_key=None)
    seen = len(fake_wechat.requests)
    assert check_session_key(WxUser.objects.get()) is False
    assert len(fake_wechat.requests) == seen


def test_the_command(fake_wechat, capsys):
    log_in("bob")
    openid = openid_for(APPID, "bob")
    call_command("wxlogin_checksession", openid)
    assert capsys.readouterr().out.strip() == "valid"
    call_command("wxlogin_checksession", openid, app=APPID)
    _wx_login_elsewhere(fake_wechat, "bob")
    with pytest.raises(CommandError, match="invalid") as failure:
        call_command("wxlogin_checksession", openid)
    assert failure.value.returncode == 1
    with pytest.raises(CommandError, match="No WeChat user"):
        call_command("wxlogin_checksession", "onobody")
    with pytest.raises(CommandError, match="No mini program"):
        call_command("wxlogin_checksession", openid, app="nosuchapp")
