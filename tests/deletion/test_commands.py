"""The commands: erasing one user by hand (and its dry run), and WeChat's daily list."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_wxlogin import bind_tickets, signals
from django_wxlogin.deletion.models import PrivacyRecord
from django_wxlogin.exceptions import InvalidBindTicket
from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.push.dispatch import PushMessage, dispatch
from django_wxlogin.settings import wxlogin_settings

from ..conftest import fresh_code, manage
from .conftest import IP, client_of, make_person, traces

pytestmark = pytest.mark.django_db(transaction=True)


def test_erase_one_user_by_hand_with_a_dry_run_first(person, capsys):
    call_command("wxlogin_erase", "--user", str(person.user_pk), "--dry-run")
    out = capsys.readouterr().out
    assert "would erase 1 WeChat identity" in out and "1 avatar file" in out
    assert person.openid not in out and WxUser.objects.filter(openid=person.openid).exists()
    call_command("wxlogin_erase", "--user", str(person.user_pk))
    assert "Erased 1 user." in capsys.readouterr().out
    assert client_of(person.token).get("/wx/profile/").status_code == 401
    assert traces(person) == []
    with pytest.raises(CommandError, match="No user"):
        call_command("wxlogin_erase", "--user", "nobody")


def test_erasure_from_another_process_ends_the_sessions_here(person):
    assert client_of(person.token).get("/wx/profile/").status_code == 200  # cached now
    done = manage("wxlogin_erase", "--user", str(person.user_pk),
                  TEST_REDIS_URL=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9"),
                  TEST_MEDIA_ROOT=os.environ.get("TEST_MEDIA_ROOT", ""))
    assert done.returncode == 0, done.stderr
    assert client_of(person.token).get("/wx/profile/").json()["code"] == "session_expired"
    assert not person.avatar_path.exists()


def test_the_daily_list_applies_each_event(tmp_path, capsys, settings):
    pat, quinn = make_person("pat"), make_person("quinn")
    listing = tmp_path / "revocations.csv"
    listing.write_text(f"openid,event,RevokeInfo\n{pat.openid},user_authorization_revoke,8\n"
                       f"{quinn.openid},user_authorization_cancellation\n")
    call_command("wxlogin_revocations", str(listing), "--dry-run")
    assert "Would apply 2 events." in capsys.readouterr().out
    call_command("wxlogin_revocations", str(listing))
    assert WxUser.objects.get(openid=pat.openid).phone_number == ""
    assert WxUser.objects.get(openid=pat.openid).nickname  # RevokeInfo 8: the phone only
    quinn.traces.remove(IP)  # pat, still here, logged in from the same address
    assert traces(quinn) == []
    assert not WxSession.objects.filter(user_id=quinn.user_pk).exclude(ip_address=None).exists()
    assert PrivacyRecord.objects.filter(action="wechat_cancelled", outcome="erased").exists()
    listing.write_text("not an openid!,user_authorization_revoke\n")
    with pytest.raises(CommandError, match="Line 1"):
        call_command("wxlogin_revocations", str(listing))


def test_a_closed_wechat_account_drops_its_bind_tickets(settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "REQUIRE_ACCOUNT": True}
    refused = client_of().post("/wx/login/", {"code": fresh_code("rita")}, format="json")
    assert refused.status_code == 403
    ticket = refused.json()["bind_ticket"]
    appid, identity = bind_tickets.read(ticket)
    dispatch(PushMessage.from_data(wxlogin_settings.app(appid), {
        "MsgType": "event", "Event": "user_authorization_cancellation",
        "OpenID": identity.openid}))
    with pytest.raises(InvalidBindTicket):
        bind_tickets.read(ticket)


def test_a_receiver_that_refuses_stops_one_erasure_and_not_the_others(capsys):
    pat, quinn = make_person("pat"), make_person("quinn")
    for person, name in ((pat, "pat"), (quinn, "quinn")):
        answer = client_of(person.token).post("/wx/account/delete/",
                                              {"code": fresh_code(name)}, format="json")
        assert answer.status_code == 202

    def refuse(sender, user, **kwargs):
        if user.pk == pat.user_pk:
            raise RuntimeError("orders still open")

    signals.erasing_user.connect(refuse, dispatch_uid="t_refuse")
    try:
        with time_machine.travel(timezone.now() + timedelta(days=15)), \
                pytest.raises(CommandError, match="closure"):
            call_command("wxlogin_erase", "--due")
    finally:
        signals.erasing_user.disconnect(dispatch_uid="t_refuse")
    assert "Erased 1 user." in capsys.readouterr().out
    assert WxUser.objects.filter(openid=pat.openid).exists()  # nothing of it changed
    assert not WxUser.objects.filter(openid=quinn.openid).exists()
