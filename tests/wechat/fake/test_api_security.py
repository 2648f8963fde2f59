"""The fake WeChat enforces server-API security for an app with keys, with WeChat's errcodes,
and answers sealed and signed (read here by hand, not by the client under test)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from django_wxlogin.wechat.api_security import envelope
from django_wxlogin.wechat.fake import FakeAppSecurity, FakeWeChat

from ..conftest import APPID, SECRET

PHONE_API = "/wxa/business/getuserphonenumber"
OTHER = "wxtestother00009"


@pytest.fixture(scope="module")
def fake(app_keys: FakeAppSecurity):
    with FakeWeChat({APPID: SECRET, OTHER: "other-secret"},
                    api_security={APPID: app_keys}) as fake:
        yield fake


def _token(fake: FakeWeChat, appid: str = APPID) -> str:
    secret = SECRET if appid == APPID else "other-secret"
    return requests.post(f"{fake.url}/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": appid, "secret": secret},
        timeout=5).json()["access_token"]


def _sealed(fake, keys, fields, *, timestamp=None, appid=APPID, sym_key=None, sign_key=None):
    """A request sealed by hand: (body, headers)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    urlpath = fake.url + PHONE_API
    body = envelope.seal(sym_key or keys.symmetric_key,
                         envelope.aad(urlpath, appid, timestamp, keys.symmetric_sn),
                         envelope.plaintext(fields, appid, timestamp))
    signature = envelope.sign(sign_key or keys.app_key,
                              envelope.signed_text(urlpath, appid, timestamp, body))
    return body, {"Wechatmp-Appid": appid, "Wechatmp-TimeStamp": str(timestamp),
                  "Wechatmp-Signature": signature, "Content-Type": "application/json"}


def _post(fake, token, body, headers):
    return requests.post(f"{fake.url}{PHONE_API}", params={"access_token": token}, data=body,
                         headers=headers, timeout=5)


def test_a_sealed_call_gets_a_sealed_and_signed_answer(fake, app_keys):
    token = _token(fake)
    body, headers = _sealed(fake, app_keys, {"code": "phone.13800000001"})
    answer = _post(fake, token, body, headers)
    stamp = int(answer.headers["Wechatmp-TimeStamp"])
    serial, key = app_keys.platform[0]
    assert answer.headers["Wechatmp-Serial"] == serial
    urlpath = fake.url + PHONE_API
    assert envelope.verify(key.public_key(), envelope.signed_text(
        urlpath, APPID, stamp, answer.content), answer.headers["Wechatmp-Signature"])
    fields = json.loads(envelope.open_envelope(app_keys.symmetric_key, envelope.aad(
        urlpath, APPID, stamp, app_keys.symmetric_sn), answer.content))
    assert fields["_appid"] == APPID and fields["_timestamp"] == stamp and fields["_n"]
    assert fields["phone_info"]["phoneNumber"] == "13800000001"


def test_the_protocol_is_enforced_with_wechats_errcodes(fake, app_keys):
    token = _token(fake)
    body, headers = _sealed(fake, app_keys, {"code": "phone.13800000002"})

    def errcode(body: bytes, headers: dict) -> int:
        """WeChat's refusal in the clear, or 0 for a sealed (accepted) answer."""
        return _post(fake, token, body, headers).json().get("errcode", 0)

    assert errcode(json.dumps({"code": "phone.13800000002"}).encode(), {}) == 40233
    for header, expected in (("Wechatmp-TimeStamp", 40231), ("Wechatmp-Signature", 40232)):
        assert errcode(body, {k: v for k, v in headers.items() if k != header}) == expected
    assert errcode(body, {**headers, "Wechatmp-Appid": OTHER}) == 40236
    other_key = FakeAppSecurity.generate()
    assert errcode(*_sealed(fake, app_keys, {"code": "x"}, sign_key=other_key.app_key)) == 40234
    assert errcode(body + b" ", headers) == 40234  # altered after signing
    assert errcode(*_sealed(fake, app_keys, {"code": "x"}, timestamp=int(time.time()) - 600)) \
        == 40240
    assert errcode(*_sealed(fake, app_keys, {"code": "x"},
                            sym_key=other_key.symmetric_key)) == 40235
    assert errcode(body, headers) == 0
    assert errcode(body, headers) == 40240  # the same request again: a replay


def test_the_token_of_another_app_is_refused(fake, app_keys):
    body, headers = _sealed(fake, app_keys, {"code": "phone.13800000003"})
    assert _post(fake, _token(fake, OTHER), body, headers).json()["errcode"] == 40237


def test_apps_without_keys_are_answered_as_before(fake):
    answer = requests.post(f"{fake.url}{PHONE_API}", params={"access_token": _token(fake, OTHER)},
                           json={"code": "phone.13800000004"}, timeout=5)
    assert answer.json()["phone_info"]["phoneNumber"] == "13800000004"
    assert "Wechatmp-Signature" not in answer.headers


def test_during_a_rotation_both_certificates_sign(fake, app_keys):
    platform = list(app_keys.platform)
    try:
        app_keys.rotate()
        body, headers = _sealed(fake, app_keys, {"code": "phone.13800000005"})
        answer = _post(fake, _token(fake), body, headers)
        urlpath, stamp = fake.url + PHONE_API, int(answer.headers["Wechatmp-TimeStamp"])
        signed = envelope.signed_text(urlpath, APPID, stamp, answer.content)
        (new_serial, new_key), (old_serial, old_key) = app_keys.platform
        assert answer.headers["Wechatmp-Serial"] == new_serial
        assert answer.headers["Wechatmp-Serial-Deprecated"] == old_serial
        assert envelope.verify(new_key.public_key(), signed, answer.headers["Wechatmp-Signature"])
        assert envelope.verify(old_key.public_key(), signed,
                               answer.headers["Wechatmp-Signature-Deprecated"])
    finally:
        app_keys.platform = platform
