"""The receiver over real HTTP, pushed to by the fake WeChat in every mode and format."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import requests

from django_wxlogin.wechat import push_protocol
from django_wxlogin.wechat.fake import FakeWeChat

from .conftest import AES_KEY, APPID, TOKEN, event

pytestmark = pytest.mark.django_db(transaction=True)


def push(fake: FakeWeChat, url: str, message: dict[str, Any], **kwargs: Any) -> Any:
    options: dict[str, Any] = {"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY}
    return fake.push(url, message=message, **{**options, **kwargs})


def test_url_verification_answers_echostr(fake_wechat, push_url):
    answer = fake_wechat.verify_url(push_url, TOKEN, echostr="4242")
    assert (answer.status_code, answer.text) == (200, "4242")
    forged = fake_wechat.verify_url(push_url, "wrongtoken", echostr="4242")
    assert forged.status_code == 403 and forged.json()["code"] == "push_forged"


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_encrypted_pushes_reach_the_handler_and_the_signal(fake_wechat, push_url,
                                                           push_settings, received, fmt, mode):
    push_settings["PUSH_FORMAT"] = fmt
    message = event(OpenID="oALICE", RevokeInfo="6")
    answer = push(fake_wechat, push_url, message, format=fmt, mode=mode)
    assert (answer.status_code, answer.text) == (200, "success")
    handled, signal = received
    assert handled.event == "test_event" and handled.app.appid == APPID
    assert handled.data["OpenID"] == "oALICE" and str(handled.data["RevokeInfo"]) == "6"
    assert signal == ("signal", APPID, handled.message_id)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_plaintext_mode_without_an_aes_key(fake_wechat, push_url, push_settings, received, fmt):
    push_settings.update(PUSH_FORMAT=fmt, ENCODING_AES_KEY="")
    answer = push(fake_wechat, push_url, event(OpenID="oBOB"), format=fmt, mode="plain",
                  encoding_aes_key=None)
    assert answer.text == "success" and received[0].data["OpenID"] == "oBOB"


def test_a_plaintext_push_is_refused_once_a_key_is_set(fake_wechat, push_url, received):
    answer = push(fake_wechat, push_url, event(), mode="plain")
    assert answer.status_code == 403 and answer.json()["code"] == "push_forged"
    assert received == []


def test_retries_of_one_message_are_handled_once(fake_wechat, push_url, received):
    message = event()
    answers = [push(fake_wechat, push_url, message) for _ in range(3)]  # new nonce each time
    assert [a.text for a in answers] == ["success"] * 3
    assert len(received) == 2  # one handler call, one signal


def test_a_replayed_request_changes_nothing(fake_wechat, push_url, received):
    stamp = str(int(time.time()))
    first = push(fake_wechat, push_url, event(), timestamp=stamp, nonce="n1")
    again = push(fake_wechat, push_url, event(), timestamp=stamp, nonce="n1")  # another message
    assert first.text == "success"
    assert again.status_code == 403 and again.json()["code"] == "push_replayed"
    assert len(received) == 2


def test_an_old_timestamp_is_refused(fake_wechat, push_url, received):
    answer = push(fake_wechat, push_url, event(), timestamp=str(int(time.time()) - 3600))
    assert answer.status_code == 403 and answer.json()["code"] == "push_replayed"
    assert received == []


@pytest.mark.parametrize("forgery", [
    {"token": "anothertoken"},  # both signatures wrong
    {"msg_signature": "0" * 40},  # the query signed, the envelope not
    {"encoding_aes_key": AES_KEY[::-1]},  # encrypted under another key
    {"appid": "wxanotherapp0000"},  # encrypted for another app
])
def test_forged_pushes_change_nothing(fake_wechat, push_url, received, forgery):
    answer = push(fake_wechat, push_url, event(), **forgery)
    assert 400 <= answer.status_code < 500 and answer.json()["code"] in (
        "push_forged", "push_malformed")
    assert received == []


def signed_query(**extra: str) -> dict[str, str]:
    stamp, nonce = str(int(time.time())), str(time.monotonic_ns())
    return {"signature": push_protocol.signature(TOKEN, stamp, nonce), "timestamp": stamp,
            "nonce": nonce, **extra}


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[1, 2]", b"{\"Encrypt\": 5}", b"{\"Encrypt\": \"AAAA\"}",
    b"{\"Encrypt\": \"" + b"A" * 64 + b"\"}", b"\xff\xfe", b"{" * 100000,
])
def test_garbage_is_a_4xx_and_never_logged(push_url, received, caplog, body):
    envelope = body.split(b'"Encrypt": "')[-1].split(b'"')[0].decode("latin-1")
    query = signed_query(encrypt_type="aes")
    query["msg_signature"] = push_protocol.signature(TOKEN, query["timestamp"], query["nonce"],
                                                     envelope)
    with caplog.at_level(logging.DEBUG):
        answer = requests.post(push_url, params=query, data=body, timeout=10)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["code"] in ("push_malformed", "push_forged")
    assert received == []
    assert not any("push" in r.name and r.levelno >= logging.ERROR for r in caplog.records)


def test_unsigned_and_unknown_requests(push_url, live_server):
    assert requests.post(push_url, data=b"{}", timeout=10).status_code == 400
    unknown = requests.get(f"{live_server.url}/wx/push/nosuchapp/", params=signed_query(),
                           timeout=10)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_app"


def test_an_app_without_a_token_has_no_push_url(fake_wechat, push_url, push_settings):
    push_settings["TOKEN"] = ""
    push_settings["ENCODING_AES_KEY"] = ""
    answer = fake_wechat.verify_url(push_url, TOKEN)
    assert answer.status_code == 404 and answer.json()["code"] == "push_not_configured"


def test_a_failing_handler_is_retried_by_wechat(fake_wechat, push_url, received):
    from django_wxlogin.push import dispatch

    calls = []

    @dispatch.handles("flaky")
    def flaky(message: Any) -> None:
        calls.append(message.message_id)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")

    try:
        message = event("flaky")
        first = push(fake_wechat, push_url, message)
        second = push(fake_wechat, push_url, message)
        third = push(fake_wechat, push_url, message)
    finally:
        dispatch._handlers["flaky"].remove(flaky)
    assert first.status_code == 503 and first.json()["code"] == "service_unavailable"
    assert (second.text, third.text) == ("success", "success")
    assert len(calls) == 2  # the failure, then the retry; the third is a duplicate
