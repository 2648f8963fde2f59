"""Decrypting encryptedData: WeChat's official vector, and one answer for every failure."""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import urlencode

import pytest

from django_wxlogin.exceptions import DecryptionFailed
from django_wxlogin.models import WxUser
from django_wxlogin.wechat.decryption import decrypt
from django_wxlogin.wechat.fake import (
    encrypt,
    encrypted_data_for,
    openid_for,
    session_key_for,
)

from ..conftest import bearer, log_in

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"

# WeChat's official decryption demo (see the facts file).
OFFICIAL_APPID = "wx4f4bc4dec97d474b"
OFFICIAL_KEY = "tiihtNczf5v6AKRyjwEUhQ=="
OFFICIAL_IV = "r7BXXKkLb8qrSNn05n0qiA=="
OFFICIAL_DATA = (
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oN"
    "PdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpy"
    "xVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUi"
    "d1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKE"
    "BvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfV"
    "unYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew=="
)
OFFICIAL_PLAINTEXT = {
    "openId": "oGZUI0egBJY1zhBYw2KhdUfwVJJE", "nickName": "Band", "gender": 1,
    "language": "zh_CN", "city": "Guangzhou", "province": "Guangdong", "country": "CN",
    "avatarUrl": "http://wx.qlogo.cn/mmopen/vi_32/aSKcBBPpibyKNicHNTMM0qJVh8Kjgiak2AHWr8MHM4Wg"
                 "MEm7GFhsf8OYrySdbvAMvTsw3mo8ibKicsnfN5pRjl1p8HQ/0",
    "unionId": "ocMvos6NjeKLIBqg5Mr9QjxrP1FA",
}
PHONE = {"phoneNumber": "13580006666", "purePhoneNumber": "13580006666", "countryCode": "86"}


def test_the_official_vector_decrypts_without_its_watermark():
    data = decrypt(OFFICIAL_DATA, OFFICIAL_IV, session_key=OFFICIAL_KEY, appid=OFFICIAL_APPID)
    assert data == OFFICIAL_PLAINTEXT


def test_plus_signs_turned_into_spaces_in_transit_still_decrypt():
    assert " " not in OFFICIAL_DATA and "+" in OFFICIAL_DATA
    data = decrypt(OFFICIAL_DATA.replace("+", " "), OFFICIAL_IV, session_key=OFFICIAL_KEY,
                   appid=OFFICIAL_APPID)
    assert data == OFFICIAL_PLAINTEXT


def _flip_last_byte(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[-1] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(("data", "iv", "key", "appid"), [
    (OFFICIAL_DATA, OFFICIAL_IV, "HyVFkGl5F5OQWJZZaNzBBg==", OFFICIAL_APPID),  # another key
    (OFFICIAL_DATA, OFFICIAL_IV, OFFICIAL_KEY, "wx0000000000000000"),  # another app's watermark
    (OFFICIAL_DATA, "AAAAAAAAAAAAAAAAAAAAAA==", OFFICIAL_KEY, OFFICIAL_APPID),  # wrong IV
    (_flip_last_byte(OFFICIAL_DATA), OFFICIAL_IV, OFFICIAL_KEY, OFFICIAL_APPID),  # padding
    (OFFICIAL_DATA[:-24] + "==", OFFICIAL_IV, OFFICIAL_KEY, OFFICIAL_APPID),  # truncated
    (OFFICIAL_DATA.rstrip("="), OFFICIAL_IV, OFFICIAL_KEY, OFFICIAL_APPID),  # unpadded base64
    (OFFICIAL_DATA.replace("+", "-"), OFFICIAL_IV, OFFICIAL_KEY, OFFICIAL_APPID),  # urlsafe
    (OFFICIAL_DATA + "\n", OFFICIAL_IV, OFFICIAL_KEY, OFFICIAL_APPID),
    (OFFICIAL_DATA, "r7BXXKkLb8qrSNn05n0q", OFFICIAL_KEY, OFFICIAL_APPID),  # short IV
    (OFFICIAL_DATA, OFFICIAL_IV, "dGlpaHROY3pmNXY2QUtSeWp3RVVoUQ==", OFFICIAL_APPID),  # 22 bytes
    (OFFICIAL_DATA, OFFICIAL_IV, None, OFFICIAL_APPID),  # no session_key stored
    ("", OFFICIAL_IV, OFFICIAL_KEY, OFFICIAL_APPID),
    ("AB==", OFFICIAL_IV, OFFICIAL_KEY, OFFICIAL_APPID),
])
def test_every_failure_raises_the_same_error(data, iv, key, appid):
    with pytest.raises(DecryptionFailed) as failure:
        decrypt(data, iv, session_key=key, appid=appid)
    assert failure.value.get_codes() == "decrypt_failed"
    assert str(failure.value.detail) == str(DecryptionFailed.default_detail)


def test_non_canonical_base64_is_refused():
    # "AB==" and "AA==" both decode to b"\x00"; only the canonical form is WeChat's.
    key = base64.b64encode(os.urandom(16)).decode()
    sealed = encrypt(b'{"watermark": {"appid": "wx1"}}', key)
    assert decrypt(sealed["encrypted_data"], sealed["iv"], session_key=key, appid="wx1") == {}
    canonical = sealed["iv"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    tweaked = canonical[:-3] + alphabet[alphabet.index(canonical[-3]) ^ 1] + "=="
    assert base64.b64decode(tweaked) == base64.b64decode(canonical)
    with pytest.raises(DecryptionFailed):
        decrypt(sealed["encrypted_data"], tweaked, session_key=key, appid="wx1")


def _post(api, token, body, **extra):
    return api.post("/wx/decrypt/", body, format="json", **bearer(token), **extra)


def test_decrypt_endpoint_returns_the_data_without_the_watermark(api):
    token, code = log_in("alice")
    sealed = encrypted_data_for(APPID, code, {"nickName": "Band", "gender": 1})
    response = _post(api, token, sealed)
    assert response.status_code == 200, response.content
    assert response.json() == {"nickName": "Band", "gender": 1}
    assert response["Cache-Control"] == "no-store"


def test_a_form_encoded_body_whose_plus_signs_became_spaces(api):
    token, code = log_in("alice")
    while True:  # make sure the ciphertext has a "+" to lose
        sealed = encrypted_data_for(APPID, code, {"nickName": "Band"})
        if "+" in sealed["encrypted_data"]:
            break
    # Sent without escaping "+", as a hand-written wx.request form body does.
    raw = urlencode(sealed, safe="+/=")
    response = api.post("/wx/decrypt/", raw, content_type="application/x-www-form-urlencoded",
                        **bearer(token))
    assert response.status_code == 200, response.content
    assert response.json() == {"nickName": "Band"}


def test_every_tampered_form_gets_the_byte_identical_400(api):
    token, code = log_in("alice")
    key = session_key_for(APPID, code)
    other_token, other_code = log_in("bob")
    valid = encrypted_data_for(APPID, code, PHONE)
    stamped = {**PHONE, "watermark": {"appid": "wxsomeoneelse0001", "timestamp": 1}}
    bodies = {
        "bad base64": {"encrypted_data": "not base64!", "iv": valid["iv"]},
        "bad padding": encrypt(json.dumps(PHONE).encode(),
                               base64.b64encode(os.urandom(16)).decode()),
        "wrong iv": {**valid, "iv": base64.b64encode(os.urandom(16)).decode()},
        "not whole blocks": {**valid, "encrypted_data": base64.b64encode(
            base64.b64decode(valid["encrypted_data"])[:-3]).decode()},
        "non-JSON plaintext": encrypt(b"not json at all", key),
        "JSON but not an object": encrypt(b"[1, 2, 3]", key),
        "not UTF-8": encrypt(b"\xff\xfe{}", key),
        "no watermark": encrypt(json.dumps(PHONE).encode(), key),
        "foreign watermark": encrypt(json.dumps(stamped).encode(), key),
        "user B's data": encrypted_data_for(APPID, other_code, PHONE),
    }
    answers = {}
    for name, body in bodies.items():
        response = _post(api, token, {**body, "save_phone": True})
        assert response.status_code == 400, (name, response.content)
        answers[name] = response.content
    assert len(set(answers.values())) == 1, answers
    assert json.loads(next(iter(answers.values())))["code"] == "decrypt_failed"
    assert WxUser.objects.exclude(phone_number="").count() == 0

    # The one body also answers a user whose stored session_key is gone.
    WxUser.objects.filter(openid=openid_for(APPID, "bob")).update(session_key=None)
    response = _post(api, other_token, encrypted_data_for(APPID, other_code, PHONE))
    assert response.status_code == 400 and response.content == answers["bad padding"]


def test_save_phone_stores_the_legacy_phone_payload(api):
    token, code = log_in("alice")
    response = _post(api, token, {**encrypted_data_for(APPID, code, PHONE), "save_phone": True})
    assert response.status_code == 200, response.content
    assert response.json() == PHONE
    assert WxUser.objects.get().phone_number == "13580006666"


def test_save_phone_without_a_phone_number_stores_nothing(api):
    token, code = log_in("alice")
    sealed = encrypted_data_for(APPID, code, {"nickName": "Band"})
    response = _post(api, token, {**sealed, "save_phone": True})
    assert response.status_code == 400
    assert response.json()["code"] == "no_phone_number"
    assert WxUser.objects.get().phone_number == ""


@pytest.mark.parametrize("body", [
    {}, {"iv": "r7BXXKkLb8qrSNn05n0qiA=="}, {"encrypted_data": 12, "iv": OFFICIAL_IV},
    {"encrypted_data": OFFICIAL_DATA, "iv": ["x"]},
    {"encrypted_data": "A" * 70000, "iv": OFFICIAL_IV},
    {"encrypted_data": OFFICIAL_DATA, "iv": OFFICIAL_IV, "save_phone": "perhaps"},
])
def test_malformed_requests_are_invalid_requests(api, body):
    token, _ = log_in("alice")
    response = _post(api, token, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_decrypt_needs_a_token(api):
    response = api.post("/wx/decrypt/", {"encrypted_data": OFFICIAL_DATA, "iv": OFFICIAL_IV},
                        format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
