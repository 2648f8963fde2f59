"""rawData signatures and the login-state HMAC: WeChat's vectors, and signed profiles."""

from __future__ import annotations

import json

import pytest

from django_wxlogin.models import WxUser
from django_wxlogin.wechat.fake import session_key_for
from django_wxlogin.wechat.signatures import (
    login_state_signature,
    raw_data_signature,
    verify_login_state,
    verify_raw_data,
)

from ..conftest import bearer, log_in

APPID = "wxtestapp0000001"
RAW_DATA = (
    '{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong",'
    '"country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w'
    '7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}'
)
RAW_KEY = "HyVFkGl5F5OQWJZZaNzBBg=="
RAW_SIGNATURE = "75e81ceda165f4ffa64f4068af58c64b8f54b88c"
HMAC_KEY = "o0q0otL8aEzpcZL/FT9WsQ=="
HMAC_MESSAGE = '{"foo":"bar"}'
HMAC_SIGNATURE = "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b"


def test_raw_data_vector():
    assert raw_data_signature(RAW_DATA, RAW_KEY) == RAW_SIGNATURE
    assert verify_raw_data(RAW_DATA, RAW_SIGNATURE, RAW_KEY)


@pytest.mark.parametrize(("raw_data", "signature", "key"), [
    (RAW_DATA + " ", RAW_SIGNATURE, RAW_KEY),
    (RAW_DATA, RAW_SIGNATURE[:-1] + "d", RAW_KEY),
    (RAW_DATA, RAW_SIGNATURE.upper(), RAW_KEY),
    (RAW_DATA, RAW_SIGNATURE, HMAC_KEY),
    (RAW_DATA, RAW_SIGNATURE, None),
    (RAW_DATA, RAW_SIGNATURE, ""),
    (RAW_DATA, "签名", RAW_KEY),
    (RAW_DATA, "", RAW_KEY),
])
def test_raw_data_mismatches(raw_data, signature, key):
    assert not verify_raw_data(raw_data, signature, key)


def test_login_state_vector():
    assert login_state_signature(HMAC_KEY, HMAC_MESSAGE) == HMAC_SIGNATURE
    assert login_state_signature(HMAC_KEY, HMAC_MESSAGE.encode()) == HMAC_SIGNATURE
    assert verify_login_state(HMAC_MESSAGE, HMAC_SIGNATURE, HMAC_KEY)
    assert not verify_login_state(HMAC_MESSAGE + " ", HMAC_SIGNATURE, HMAC_KEY)
    assert not verify_login_state(HMAC_MESSAGE, HMAC_SIGNATURE, RAW_KEY)
    assert not verify_login_state(HMAC_MESSAGE, HMAC_SIGNATURE, None)


@pytest.mark.django_db(transaction=True)
class TestSignedProfile:
    """PATCH profile/ with wx.getUserProfile's rawData and signature."""

    def _signed(self, code: str, profile: dict) -> dict:
        raw_data = json.dumps(profile, ensure_ascii=False)
        return {"raw_data": raw_data,
                "signature": raw_data_signature(raw_data, session_key_for(APPID, code))}

    def test_a_valid_signature_updates_the_profile(self, api):
        token, code = log_in("alice")
        body = self._signed(code, {"nickName": " Band ", "avatarUrl": "https://wx.qlogo.cn/a/0"})
        response = api.patch("/wx/profile/", body, format="json", **bearer(token))
        assert response.status_code == 200, response.content
        assert response.json()["nickname"] == "Band"
        assert response.json()["avatar_url"] == "https://wx.qlogo.cn/a/0"
        assert "raw_data" not in response.json() and "signature" not in response.json()

    def test_a_bad_signature_changes_nothing(self, api):
        token, _ = log_in("alice")
        _, other_code = log_in("bob")
        body = self._signed(other_code, {"nickName": "Mallory"})  # signed with bob's key
        response = api.patch("/wx/profile/", body, format="json", **bearer(token))
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_signature"
        assert set(WxUser.objects.values_list("nickname", flat=True)) == {""}

    def test_the_2022_placeholder_profile_keeps_what_the_user_set(self, api):
        token, code = log_in("alice")
        api.patch("/wx/profile/", {"nickname": "小明"}, format="json", **bearer(token))
        body = self._signed(code, {"nickName": "微信用户", "avatarUrl": "https://x.example/grey"})
        response = api.patch("/wx/profile/", body, format="json", **bearer(token))
        assert response.status_code == 200, response.content
        assert response.json()["nickname"] == "小明"
        assert response.json()["avatar_url"] == ""

    @pytest.mark.parametrize("extra", [
        {"nickname": "x"},  # raw_data comes alone
        {"signature": None},  # without its signature
        {"raw_data": "[1]"},  # signed below, but not an object
    ])
    def test_malformed_signed_profiles_are_invalid_requests(self, api, extra):
        token, code = log_in("alice")
        body = {**self._signed(code, {"nickName": "Band"}), **extra}
        if extra.get("raw_data"):
            body["signature"] = raw_data_signature(body["raw_data"], session_key_for(APPID, code))
        body = {k: v for k, v in body.items() if v is not None}
        response = api.patch("/wx/profile/", body, format="json", **bearer(token))
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "invalid_request"
        assert WxUser.objects.get().nickname == ""

    def test_signed_values_are_validated_like_typed_ones(self, api):
        token, code = log_in("alice")
        body = self._signed(code, {"nickName": "x" * 65})
        response = api.patch("/wx/profile/", body, format="json", **bearer(token))
        assert response.status_code == 400
        assert "raw_data" in response.json()["errors"]
