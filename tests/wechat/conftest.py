"""The client of the suite's mini program, talking to the fake WeChat."""

from __future__ import annotations

import pytest

from django_wxlogin.wechat.client import WeChatClient
from django_wxlogin.wechat.fake import FakeWeChat

APPID, SECRET = "wxtestapp0000001", "s3cr3t-appsecret-never-logged"


@pytest.fixture
def client(fake_wechat: FakeWeChat) -> WeChatClient:
    return WeChatClient(APPID, SECRET, fake_wechat.url)
