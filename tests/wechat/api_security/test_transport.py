"""Round trips through the fake WeChat with server-API security on: sealed calls, verified
answers, every kind of spoiled answer refused (and counted), certificate rotation, and what
happens when only one side has it on."""

from __future__ import annotations

import base64
import json
import logging

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from django_wxlogin.exceptions import WeChatUnavailable
from django_wxlogin.models import WxUser
from django_wxlogin.wechat.api_security import transport
from django_wxlogin.wechat.api_security.keys import SUPPORTED_PATHS, AppKeys
from django_wxlogin.wechat.client import WeChatClient
from django_wxlogin.wechat.errors import AnswerNotVerified, ApiSecurityRejected
from django_wxlogin.wechat.fake import FakeAppSecurity, FakeWeChat, Reply

from ...conftest import bearer, log_in
from ..conftest import APPID, SECRET
from . import vectors as v

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_API = "/wxa/business/getuserphonenumber"
_numbers = iter(range(10_000))


def _phone(api, token):
    return api.post("/wx/phone/", {"code": f"phone.1370000{next(_numbers):04d}"},
                    format="json", **bearer(token))


def test_the_phone_number_travels_sealed_and_is_believed_once_verified(api, api_security,
                                                                      fake_wechat):
    token, _ = log_in()
    before = transport.stats()
    response = _phone(api, token)
    assert response.status_code == 200, response.content
    assert WxUser.objects.get().phone_number.startswith("1370000")
    # What WeChat received: the envelope only (the fake's log leaves out the access token).
    assert set(fake_wechat.calls(PHONE_API)[-1]["params"]) == {"iv", "data", "authtag"}
    assert transport.stats() == before


def test_calls_weChat_does_not_protect_go_out_as_they_are(api_security, fake_wechat):
    log_in()
    assert set(fake_wechat.calls("/sns/jscode2session")[-1]["params"]) \
        == {"appid", "grant_type"}  # the log leaves out the secret and the code


@pytest.mark.parametrize(("fault", "reason"), [
    ("signature", "signature"), ("serial", "unknown_serial"), ("unsigned", "unsigned"),
    ("ciphertext", "decrypt"), ("appid", "fields"), ("stale", "stale"),
    ("plaintext", "not_encrypted"), ("replay", "replayed"),
])
def test_a_spoiled_answer_is_refused_counted_and_stores_nothing(api, api_security, fake_wechat,
                                                                caplog, fault, reason):
    token, _ = log_in()
    assert _phone(api, token).status_code == 200  # an answer the replay can send again
    WxUser.objects.update(phone_number="")
    before = transport.stats().get(reason, 0)
    fake_wechat.api_security_fault = fault
    response = _phone(api, token)
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "wechat_unavailable"
    assert WxUser.objects.get().phone_number == ""
    assert transport.stats()[reason] == before + 1
    refusals = [r.getMessage() for r in caplog.records if "refused by API security" in
                r.getMessage()]
    assert refusals and reason in refusals[-1]


def test_rotation_the_deprecated_certificate_still_verifies_then_the_new_one(
        api, api_security, fake_wechat, settings, caplog):
    token, _ = log_in()
    old = dict(settings.WXLOGIN["API_SECURITY"]["CERTIFICATES"])
    new_serial = api_security.rotate()  # WeChat signs with both during the rotation
    caplog.set_level(logging.WARNING)
    assert _phone(api, token).status_code == 200  # this server still has only the old one
    assert any("being retired" in r.getMessage() and new_serial in r.getMessage()
               for r in caplog.records)
    # The operator adds the new certificate (both listed), then WeChat retires the old one.
    new = {new_serial: api_security.certificates()[new_serial]}
    security = settings.WXLOGIN["API_SECURITY"]
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": {**security,
                                                             "CERTIFICATES": {**old, **new}}}
    assert _phone(api, token).status_code == 200
    api_security.retire()
    assert _phone(api, token).status_code == 200
    # A server left with only the retired certificate refuses every answer.
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": {**security, "CERTIFICATES": old}}
    before = transport.stats().get("unknown_serial", 0)
    assert _phone(api, token).status_code == 503
    assert transport.stats()["unknown_serial"] == before + 1


def test_console_on_and_this_server_off_is_an_operator_error(api, api_security, settings,
                                                            caplog):
    token, _ = log_in()
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": None}
    response = _phone(api, token)
    assert response.status_code == 500
    assert response.json()["code"] == "wechat_misconfigured"
    assert any(r.levelno == logging.ERROR and "errcode 40233" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize(("key", "errcode"), [("PRIVATE_KEY", 40234), ("SYMMETRIC_KEY", 40235)])
def test_keys_that_differ_from_the_consoles_are_wechats_typed_refusals(
        api, api_security, settings, caplog, key, errcode):
    token, _ = log_in()
    other = FakeAppSecurity.generate().settings()
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": {
        **settings.WXLOGIN["API_SECURITY"], key: other[key]}}
    response = _phone(api, token)
    assert response.status_code == 500
    assert response.json()["code"] == "wechat_misconfigured"
    assert any(r.levelno == logging.ERROR and f"errcode {errcode}" in r.getMessage()
               for r in caplog.records)
    with pytest.raises(ApiSecurityRejected):
        WeChatClient(APPID, SECRET, settings.WXLOGIN["API_BASE_URL"]).request(
            "POST", PHONE_API, params={"access_token": "AT-unknown"}, json={"code": "c"})


def test_this_server_on_and_the_console_off_fails_the_call(api, api_security, fake_wechat,
                                                          caplog):
    token, _ = log_in()
    caplog.set_level(logging.INFO)
    del fake_wechat.api_security[APPID]
    response = _phone(api, token)
    # WeChat reads the envelope as the call's body: no code in it.
    assert response.status_code == 400
    assert any("unsigned, with errcode 41008" in r.getMessage() for r in caplog.records)


def test_no_key_token_or_body_reaches_the_logs(api, api_security, fake_wechat, caplog,
                                               settings):
    caplog.set_level(logging.DEBUG)
    token, _ = log_in()
    assert _phone(api, token).status_code == 200
    fake_wechat.api_security_fault = "signature"
    assert _phone(api, token).status_code == 503
    logged = "\n".join(r.getMessage() for r in caplog.records)
    material = api_security.settings()
    assert material["SYMMETRIC_KEY"] not in logged
    assert "PRIVATE KEY" not in logged and "CERTIFICATE" not in logged
    assert not any(t in logged for t in fake_wechat.access_tokens)
    assert "137000" not in logged  # the phone numbers of the answers


class _ImageWeChat(FakeWeChat):
    """The fake with an image API (as scan login's getwxacodeunlimit answers)."""

    ROUTES = {("POST", "/wxa/getwxacodeunlimit"): "image"}

    def image(self, request):
        if request.body != {"scene": "s1", "page": "pages/index"}:
            return 200, {"errcode": 40169, "errmsg": "invalid scene"}
        return Reply(200, b"\x89PNG fake image", content_type="image/png")


def test_an_image_answer_is_believed_only_when_signed(api_security, settings):
    with _ImageWeChat({APPID: SECRET}, api_security={APPID: api_security}) as fake:
        client = WeChatClient(APPID, SECRET, fake.url)
        token = client.fetch_access_token().access_token
        body = {"scene": "s1", "page": "pages/index"}
        image = client.request_bytes("POST", "/wxa/getwxacodeunlimit",
                                     params={"access_token": token}, json=body)
        assert image == b"\x89PNG fake image"
        assert set(fake.calls("/wxa/getwxacodeunlimit")[-1]["params"]) \
            == {"iv", "data", "authtag"}
        with pytest.raises(WeChatUnavailable) as failed:  # a sealed errcode, mapped as ever
            client.request_bytes("POST", "/wxa/getwxacodeunlimit",
                                 params={"access_token": token}, json={"scene": "bad"})
        assert failed.value.errcode == 40169
        fake.api_security_fault = "signature"
        with pytest.raises(AnswerNotVerified) as refused:
            client.request_bytes("POST", "/wxa/getwxacodeunlimit",
                                 params={"access_token": token}, json=body)
        assert refused.value.reason == "signature"


def _guide_keys():
    """The app of WeChat's worked example, as this package loads it."""
    return AppKeys(v.APPID, v.SYM_SN, base64.b64decode(v.SYM_KEY),
                   load_pem_private_key(v.PRIVATE_KEY.encode(), None),
                   {v.CERT_SN: x509.load_pem_x509_certificate(v.CERTIFICATE.encode())},
                   SUPPORTED_PATHS)


def _guide_call():
    with time_machine.travel(v.REQUEST_TIMESTAMP, tick=False):
        call = transport.SealedCall(_guide_keys(), v.URLPATH, "/wxa/getuserriskrank",
                                    {"access_token": "ACCESS_TOKEN"}, v.REQUEST_FIELDS)
    return call


def test_the_guides_own_answer_is_believed(settings):
    call = _guide_call()
    assert call.params == {"access_token": "ACCESS_TOKEN"}
    assert call.headers["Wechatmp-TimeStamp"] == str(v.REQUEST_TIMESTAMP)
    with time_machine.travel(v.RESPONSE_TIMESTAMP + 1, tick=False):
        content, content_type = call.open(v.RESPONSE_HEADERS, v.RESPONSE_BODY,
                                          "application/json")
        assert content_type == "application/json"
        assert json.loads(content) == {"errcode": 0, "errmsg": "getuserriskrank succ",
                                       "risk_rank": 0, "unoin_id": 2258658297}
        # The same answer again is a replay, even within the time window.
        with pytest.raises(AnswerNotVerified) as replayed:
            call.open(v.RESPONSE_HEADERS, v.RESPONSE_BODY, "application/json")
        assert replayed.value.reason == "replayed"


def test_the_guides_answer_verifies_through_the_deprecated_serial_too(settings):
    call = _guide_call()
    headers = {**v.RESPONSE_HEADERS, "Wechatmp-Serial": "a-newer-serial",
               "Wechatmp-Serial-Deprecated": v.CERT_SN,
               "Wechatmp-Signature-Deprecated": v.RESPONSE_HEADERS["Wechatmp-Signature"],
               "Wechatmp-Signature": "bm90IGEgc2lnbmF0dXJl"}
    with time_machine.travel(v.RESPONSE_TIMESTAMP + 1, tick=False):
        assert call.open(headers, v.RESPONSE_BODY, "application/json")[0].startswith(b"{")
        with pytest.raises(AnswerNotVerified) as refused:  # the other certificate's signature
            call.open({**headers, "Wechatmp-Signature-Deprecated":
                       v.RESPONSE_HEADERS["Wechatmp-Signature-Deprecated"]}, v.RESPONSE_BODY,
                      "application/json")
        assert refused.value.reason == "signature"


def test_keys_that_became_unusable_fail_the_call_as_an_operator_error(api, api_security,
                                                                     settings, caplog, tmp_path):
    token, _ = log_in()
    security = settings.WXLOGIN["API_SECURITY"]
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": {
        **security, "PRIVATE_KEY": f"file:{tmp_path / 'gone.pem'}"}}
    response = _phone(api, token)
    assert response.status_code == 500
    assert response.json()["code"] == "wechat_misconfigured"
    assert any(r.levelno == logging.ERROR and "gone.pem" in r.getMessage()
               for r in caplog.records)
