"""The WeChat client against the fake WeChat over real HTTP."""

from __future__ import annotations

import logging
import socket
import time
import traceback
from typing import Any

import pytest

from django_wxlogin import exceptions
from django_wxlogin.wechat.client import WeChatClient, http_session
from django_wxlogin.wechat.fake import (
    FakeRequest,
    FakeWeChat,
    Reply,
    answer,
    openid_for,
    session_key_for,
    unionid_for,
)

from ..conftest import fresh_code
from .conftest import APPID, SECRET


def test_code2session_success(client):
    code = fresh_code("ivy")
    result = client.code2session(code)
    assert result.openid == openid_for(APPID, "ivy")
    assert result.unionid == unionid_for("ivy")
    assert result.session_key == session_key_for(APPID, code)
    assert result.session_key not in repr(result)


def test_no_unionid_when_the_app_is_not_bound(client):
    assert client.code2session(fresh_code("nounion-jack")).unionid is None


@pytest.mark.parametrize("code", ["garbage", "http.500", "http.502", "nokey"])
def test_broken_answers_mean_unavailable(client, code):
    with pytest.raises(exceptions.WeChatUnavailable):
        client.code2session(code)


def test_the_fake_checks_credentials(fake_wechat):
    with pytest.raises(exceptions.WeChatMisconfigured):
        WeChatClient(APPID, "wrong", fake_wechat.url).code2session(fresh_code())
    with pytest.raises(exceptions.WeChatMisconfigured):
        WeChatClient("wxunknown", SECRET, fake_wechat.url).code2session(fresh_code())
    with pytest.raises(exceptions.WeChatMisconfigured):
        WeChatClient("", SECRET, fake_wechat.url).code2session(fresh_code())


def test_a_hung_wechat_is_cut_off_by_the_read_timeout(client, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "READ_TIMEOUT": 0.3}
    started = time.monotonic()
    with pytest.raises(exceptions.WeChatUnavailable):
        client.code2session("slow.3")
    assert time.monotonic() - started < 2.5


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_connection_means_unavailable():
    client = WeChatClient(APPID, SECRET, f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(exceptions.WeChatUnavailable):
        client.code2session(fresh_code())


def test_a_code_exchange_is_never_retried(client, fake_wechat):
    for code in ("err.-1", "http.503", "garbage"):
        before = len(fake_wechat.calls("/sns/jscode2session"))
        with pytest.raises(exceptions.WeChatUnavailable):
            client.code2session(code)
        assert len(fake_wechat.calls("/sns/jscode2session")) == before + 1


def test_one_pooled_http_session_per_process():
    assert http_session() is http_session()


def _all_text(caplog, exc: BaseException) -> str:
    """Everything a log or error tracker would keep: records, the error and its chain."""
    chain = "".join(traceback.format_exception_only(exc))
    return caplog.text + chain + repr(exc) + str(exc) + repr(exc.__dict__)


def test_the_secret_and_code_never_reach_logs_or_errors(caplog, fake_wechat):
    """urllib3 logs full URLs at DEBUG and requests puts them in exception text."""
    caplog.set_level(logging.DEBUG)
    code = fresh_code("kate")
    WeChatClient(APPID, SECRET, fake_wechat.url).code2session(code)
    assert "/sns/jscode2session" in caplog.text  # the DEBUG line is there, scrubbed
    assert SECRET not in caplog.text and code not in caplog.text

    lost_code = fresh_code("lost")
    refused = WeChatClient(APPID, SECRET, f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(exceptions.WeChatUnavailable) as caught:
        refused.code2session(lost_code)
    text = _all_text(caplog, caught.value)
    assert SECRET not in text and lost_code not in text
    assert caught.value.__context__ is None and caught.value.__cause__ is None

    with pytest.raises(exceptions.WeChatMisconfigured) as caught:
        WeChatClient(APPID, "wrong-secret-xyz", fake_wechat.url).code2session("mia.1")
    text = _all_text(caplog, caught.value)
    assert "wrong-secret-xyz" not in text
    assert "check WXLOGIN's APPID and SECRET" in caplog.text


class _ImageWeChat(FakeWeChat):
    """A fake with one API that answers an image, or WeChat's JSON error for ``?fail=``."""

    ROUTES = {("POST", "/test/image"): "image"}

    def image(self, request: FakeRequest) -> Reply | tuple[int, Any]:
        if request.params.get("fail"):
            return answer(int(request.params["fail"]), "scripted error")
        return Reply(200, b"\x89PNG\r\n\x1a\n", content_type="image/png")


def test_request_bytes_returns_an_image_and_maps_json_errors():
    with _ImageWeChat() as fake:
        client = WeChatClient(APPID, SECRET, fake.url)
        assert client.request_bytes("POST", "/test/image", json={}) == b"\x89PNG\r\n\x1a\n"
        with pytest.raises(exceptions.WeChatRateLimited):
            client.request_bytes("POST", "/test/image", params={"fail": "45011"}, json={})
        with pytest.raises(exceptions.WeChatUnavailable):  # JSON, but not an error
            client.request_bytes("POST", "/cgi-bin/stable_token", json={
                "grant_type": "client_credential", "appid": APPID, "secret": SECRET})
