"""The client of the suite's mini program, talking to the fake WeChat, with or without
server-API security."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from django_wxlogin.wechat.client import WeChatClient
from django_wxlogin.wechat.fake import FakeAppSecurity, FakeWeChat

APPID, SECRET = "wxtestapp0000001", "s3cr3t-appsecret-never-logged"


@pytest.fixture
def client(fake_wechat: FakeWeChat) -> WeChatClient:
    return WeChatClient(APPID, SECRET, fake_wechat.url)


@pytest.fixture(scope="session")
def app_keys() -> FakeAppSecurity:
    """The suite's app's API-security keys, on both sides (made once: RSA keys take time)."""
    return FakeAppSecurity.generate()


@pytest.fixture
def api_security(fake_wechat: FakeWeChat, app_keys: FakeAppSecurity, settings: Any,
                 tmp_path: Path, monkeypatch: Any) -> Iterator[FakeAppSecurity]:
    """Server-API security on for the suite's app in the fake WeChat and in WXLOGIN, the keys
    read as a deployment reads them: the symmetric key from the environment, the private key
    and the platform certificates from files."""
    platform = list(app_keys.platform)
    (tmp_path / "app.pem").write_text(app_keys.settings()["PRIVATE_KEY"])
    certificates = {}
    for serial, pem in app_keys.certificates().items():
        (tmp_path / f"{serial}.pem").write_text(pem)
        certificates[serial] = f"file:{tmp_path / serial}.pem"
    monkeypatch.setenv("WXLOGIN_TEST_SYMMETRIC_KEY", app_keys.settings()["SYMMETRIC_KEY"])
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": {
        "SYMMETRIC_KEY": "env:WXLOGIN_TEST_SYMMETRIC_KEY", "SYMMETRIC_SN": app_keys.symmetric_sn,
        "PRIVATE_KEY": f"file:{tmp_path / 'app.pem'}", "CERTIFICATES": certificates,
    }}
    fake_wechat.api_security[APPID] = app_keys
    with fake_wechat._lock:  # the same scripted phone codes as the run without it
        fake_wechat.used_phone_codes.clear()
    try:
        yield app_keys
    finally:
        fake_wechat.api_security.pop(APPID, None)
        fake_wechat.api_security_fault = None
        app_keys.platform = platform


@pytest.fixture(params=["plain", "api_security"])
def security_mode(request: Any) -> str:
    """Each test that uses it runs twice: as is, and with server-API security on."""
    if request.param == "api_security":
        request.getfixturevalue("api_security")
    return str(request.param)
