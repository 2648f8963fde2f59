"""``python -m django_wxlogin.wechat.fake --api-security APPID``: the fake in a process of its
own, enforcing API security with new keys, which this server then uses from their files."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests
from rest_framework.test import APIClient

from django_wxlogin.models import WxUser

from ...conftest import bearer, fresh_code
from ...services import free_port
from ..conftest import APPID, SECRET

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_fake_in_its_own_process_enforces_api_security(settings, tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "django_wxlogin.wechat.fake", "--port", str(port),
         "--app", f"{APPID}:{SECRET}", "--api-security", APPID,
         "--keys-dir", str(tmp_path / "keys")],
        stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith(f"API_SECURITY of {APPID}: "), line
        security = json.loads(line.split(": ", 1)[1])
        assert all(v.startswith("file:") for k, v in security.items()
                   if k in ("SYMMETRIC_KEY", "PRIVATE_KEY"))
        assert (tmp_path / "keys" / f"{APPID}-private.pem").stat().st_mode & 0o077 == 0
        assert "Fake WeChat on" in process.stdout.readline()
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        settings.WXLOGIN = {**settings.WXLOGIN, "API_BASE_URL": url}
        api = APIClient()
        token = api.post("/wx/login/", {"code": fresh_code()}, format="json").json()["token"]
        # Unsealed, the fake refuses the call as WeChat would (40233: operator error).
        refused = api.post("/wx/phone/", {"code": "phone.13800009999"}, format="json",
                           **bearer(token))
        assert refused.status_code == 500
        settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": security}
        answered = api.post("/wx/phone/", {"code": "phone.13800009999"}, format="json",
                            **bearer(token))
        assert answered.status_code == 200, answered.content
        assert WxUser.objects.get().phone_number == "13800009999"
    finally:
        process.terminate()
        process.wait(timeout=10)
