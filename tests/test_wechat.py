"""The WeChat client against the fake WeChat over real HTTP."""

from __future__ import annotations

import logging
import socket
import time
import traceback

import pytest

from django_wxlogin import exceptions, wechat
from django_wxlogin.fake_wechat import FakeWeChat, openid_for, session_key_for, unionid_for

from .conftest import fresh_code

APPID, SECRET = "wxtestapp0000001", "s3cr3t-appsecret-never-logged"


@pytest.fixture
def client(fake_wechat: FakeWeChat) -> wechat.WeChatClient:
    return wechat.WeChatClient(APPID, SECRET, fake_wechat.url)


def test_code2session_success(client):
    code = fresh_code("ivy")
    result = client.code2session(code)
    assert result.openid == openid_for(APPID, "ivy")
    assert result.unionid == unionid_for("ivy")
    assert result.session_key == session_key_for(APPID, code)
    assert result.session_key not in repr(result)


def test_no_unionid_when_the_app_is_not_bound(client):
    assert client.code2session(fresh_code("nounion-jack")).unionid is None


@pytest.mark.parametrize(("errcode", "error"), [
    (40029, exceptions.InvalidCode),
    (40163, exceptions.InvalidCode),
    (41008, exceptions.InvalidCode),
    (45011, exceptions.WeChatRateLimited),
    (40226, exceptions.UserBlocked),
    (-1, exceptions.WeChatUnavailable),
    (40013, exceptions.WeChatMisconfigured),
    (40125, exceptions.WeChatMisconfigured),
    (41002, exceptions.WeChatMisconfigured),
    (99999, exceptions.WeChatUnavailable),
])
def test_errcodes_map_to_typed_errors(client, errcode, error):
    with pytest.raises(error) as caught:
        client.code2session(f"err.{errcode}")
    assert caught.type is error
    assert caught.value.errcode == errcode


@pytest.mark.parametrize("code", ["garbage", "http.500", "http.502", "nokey"])
def test_broken_answers_mean_unavailable(client, code):
    with pytest.raises(exceptions.WeChatUnavailable):
        client.code2session(code)


def test_the_fake_checks_credentials(fake_wechat):
    with pytest.raises(exceptions.WeChatMisconfigured):
        wechat.WeChatClient(APPID, "wrong", fake_wechat.url).code2session(fresh_code())
    with pytest.raises(exceptions.WeChatMisconfigured):
        wechat.WeChatClient("wxunknown", SECRET, fake_wechat.url).code2session(fresh_code())
    with pytest.raises(exceptions.WeChatMisconfigured):
        wechat.WeChatClient("", SECRET, fake_wechat.url).code2session(fresh_code())


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
    client = wechat.WeChatClient(APPID, SECRET, f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(exceptions.WeChatUnavailable):
        client.code2session(fresh_code())


def test_a_code_exchange_is_never_retried(client, fake_wechat):
    for code in ("err.-1", "http.503", "garbage"):
        before = len(fake_wechat.calls("/sns/jscode2session"))
        with pytest.raises(exceptions.WeChatUnavailable):
            client.code2session(code)
        assert len(fake_wechat.calls("/sns/jscode2session")) == before + 1


def test_one_pooled_http_session_per_process():
    assert wechat.http_session() is wechat.http_session()


def test_redact():
    assert wechat.redact("/x?appid=wx1&secret=abc&js_code=c0de&grant_type=a") == \
        "/x?appid=wx1&secret=***&js_code=***&grant_type=a"
    assert wechat.redact("access_token=t0k3n") == "access_token=***"


def _all_text(caplog, exc: BaseException) -> str:
    """Everything a log or error tracker would keep: records, the error and its chain."""
    chain = "".join(traceback.format_exception_only(exc))
    return caplog.text + chain + repr(exc) + str(exc) + repr(exc.__dict__)


def test_the_secret_and_code_never_reach_logs_or_errors(caplog, fake_wechat):
    """urllib3 logs full URLs at DEBUG and requests puts them in exception text."""
    caplog.set_level(logging.DEBUG)
    code = fresh_code("kate")
    wechat.WeChatClient(APPID, SECRET, fake_wechat.url).code2session(code)
    assert "/sns/jscode2session" in caplog.text  # the DEBUG line is there, scrubbed
    assert SECRET not in caplog.text and code not in caplog.text

    lost_code = fresh_code("lost")
    refused = wechat.WeChatClient(APPID, SECRET, f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(exceptions.WeChatUnavailable) as caught:
        refused.code2session(lost_code)
    text = _all_text(caplog, caught.value)
    assert SECRET not in text and lost_code not in text
    assert caught.value.__context__ is None and caught.value.__cause__ is None

    with pytest.raises(exceptions.WeChatMisconfigured) as caught:
        wechat.WeChatClient(APPID, "wrong-secret-xyz", fake_wechat.url).code2session("mia.1")
    text = _all_text(caplog, caught.value)
    assert "wrong-secret-xyz" not in text
    assert "check WXLOGIN's APPID and SECRET" in caplog.text
