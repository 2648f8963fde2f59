"""Audit lines: who and which session, never a secret, and no forged lines."""

from __future__ import annotations

import logging

import pytest

from django_wxlogin.audit import clean
from django_wxlogin.models import WxSession

from .conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def audit_log(caplog):
    caplog.set_level(logging.INFO, logger="django_wxlogin.audit")
    return caplog


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "django_wxlogin.audit"]


def test_login_logout_and_failures_are_audited(api, login, audit_log):
    response = login("dora", HTTP_USER_AGENT="evil\r\nlogin ok user=1 session=forged")
    token = response.json()["token"]
    api.post("/wx/logout/", **bearer(token))
    api.post("/wx/login/", {"code": "err.40226"}, format="json")
    session = WxSession.objects.get()
    user_id = response.json()["user"]["id"]
    lines = _lines(audit_log)
    assert lines[0].startswith(f"login ok user={user_id} session={session.digest[:8]} ")
    assert "\r" not in lines[0] and "\n" not in lines[0] and "\\r\\n" in lines[0]
    assert lines[1] == f"revoke sessions=1 users={user_id} reason=logout"
    assert lines[2] == f"logout user={user_id} session={session.digest[:8]} everywhere=False"
    assert lines[3].startswith("login failed code=user_blocked ")
    text = "\n".join(lines)
    assert token not in text and token.split(".")[1] not in text
    assert session.digest not in text and "err.40226" not in text


def test_clean_escapes_control_characters():
    assert clean("a\r\nb\x00") == "a\\r\\nb\\x00"
    assert clean("微信用户") == "微信用户"
