"""Signals fire once per event, after the commit, with what receivers need."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import signals as auth_signals
from django.core.management import call_command

from django_wxlogin import signals
from django_wxlogin.models import RevokeReason, WxSession

from .conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received():
    """Every signal the package (and Django's auth) sends, as (name, kwargs)."""
    seen: list[tuple[str, dict]] = []
    sources = {
        "created": signals.user_created, "in": signals.user_logged_in,
        "out": signals.user_logged_out, "revoked": signals.session_revoked,
        "django_in": auth_signals.user_logged_in, "django_out": auth_signals.user_logged_out,
    }
    receivers = {}
    for name, signal in sources.items():
        def receiver(sender, _name=name, **kwargs):
            seen.append((_name, kwargs))
        receivers[name] = receiver
        signal.connect(receiver, weak=False)
    yield seen
    for name, signal in sources.items():
        signal.disconnect(receivers[name])


def _names(seen):
    return [name for name, _ in seen]


def test_first_login_then_logout(api, login, received):
    token = login("amy").json()["token"]
    assert _names(received) == ["created", "in", "django_in"]
    created, logged_in = received[0][1], received[1][1]
    assert created["wxuser"].user == created["user"]
    assert logged_in["method"] == "wechat" and logged_in["session"].pk == WxSession.objects.get().pk
    received.clear()
    api.post("/wx/logout/", **bearer(token))
    assert _names(received) == ["revoked", "out", "django_out"]
    assert received[0][1]["reason"] == RevokeReason.LOGOUT
    assert received[1][1]["everywhere"] is False


def test_single_sign_on_and_logout_all_report_their_reasons(api, login, received):
    login("ben")
    received.clear()
    token = login("ben").json()["token"]
    assert _names(received) == ["revoked", "in", "django_in"]
    assert received[0][1]["reason"] == RevokeReason.SINGLE_SESSION
    assert len(received[0][1]["sessions"]) == 1
    received.clear()
    api.post("/wx/logout/all/", **bearer(token))
    assert received[0][1]["reason"] == RevokeReason.LOGOUT_ALL
    assert received[1][1]["everywhere"] is True


def test_a_failed_login_sends_nothing(api, received):
    api.post("/wx/login/", {"code": "err.40029"}, format="json")
    assert received == []


def test_commands_report_their_reason(login, received):
    login("cai")
    received.clear()
    call_command("wxlogin_revoke", "--all", "--no-input", stdout=io.StringIO())
    assert [(n, k["reason"]) for n, k in received] == [("revoked", RevokeReason.COMMAND)]
