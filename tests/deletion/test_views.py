"""Closing an account: re-authentication, every session ended at once, the grace period, a
login that cancels it, and the erasure that leaves no trace."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from django_wxlogin import signals
from django_wxlogin.deletion.models import AccountClosure, PrivacyRecord
from django_wxlogin.models import IdentityConflict, WxSession, WxUser

from ..conftest import fresh_code
from .conftest import IP, client_of, traces, traces_in_cache

pytestmark = pytest.mark.django_db(transaction=True)


def close(token: str, **body) -> object:
    return client_of(token).post("/wx/account/delete/", body, format="json")


def test_closing_needs_a_fresh_code_of_the_same_person(person):
    assert close(person.token).status_code == 400  # neither code nor password
    assert close(person.token, code="x", password="y").status_code == 400
    other = close(person.token, code=fresh_code("mallory"))
    assert other.status_code == 403 and other.json()["code"] == "reauthentication_failed"
    assert close(person.token, password="anything").status_code == 403  # no usable password
    assert not AccountClosure.objects.exists()
    assert client_of(person.token).get("/wx/profile/").status_code == 200


def test_closing_ends_every_session_and_a_login_in_the_grace_period_cancels_it(person):
    second = client_of().post("/wx/login/",
                              {"code": fresh_code("pat")}, format="json").json()["token"]
    answer = close(second, code=fresh_code("pat"))
    assert answer.status_code == 202, answer.content
    assert answer.json()["state"] == "pending"
    erase_after = AccountClosure.objects.get().erase_after
    assert timedelta(days=13) < erase_after - timezone.now() <= timedelta(days=14)
    for token in (person.token, second):
        assert client_of(token).get("/wx/profile/").json()["code"] == "session_expired"
    assert not WxSession.objects.live().filter(user_id=person.user_pk).exists()
    back = client_of().post("/wx/login/", {"code": fresh_code("pat")}, format="json").json()
    assert back["closure_cancelled"] is True and back["user"]["id"] == person.user_pk
    assert AccountClosure.objects.get().state == "cancelled"
    again = client_of().post("/wx/login/", {"code": fresh_code("pat")}, format="json").json()
    assert again["closure_cancelled"] is False
    actions = list(PrivacyRecord.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["closure_requested", "closure_cancelled"]


def test_after_the_grace_period_the_cron_erases_everything(person, capsys, django_user_model):
    erasing, erased = [], []

    def project_rows(sender, user, identities, **kwargs):
        erasing.append((user.pk, [w.openid for w in identities]))

    def done(sender, user_pk, subjects, deleted, **kwargs):
        erased.append((user_pk, len(subjects), deleted))

    # Another user's identity that came with this person's unionid: a conflict naming it.
    other = WxUser.objects.create(user=django_user_model.objects.create(username="other"),
                                  appid="wxtestapp0000001", openid="o-other")
    IdentityConflict.objects.create(wxuser=other, other_user_id=person.user_pk,
                                    unionid=person.unionid)
    before = "\n".join(traces(person))  # the search finds each of them while they exist
    assert all(trace in before for trace in person.traces), before
    assert IP in "\n".join(traces_in_cache(person.traces))
    signals.erasing_user.connect(project_rows, dispatch_uid="t_erasing")
    signals.user_erased.connect(done, dispatch_uid="t_erased")
    try:
        assert close(person.token, code=fresh_code("pat")).status_code == 202
        call_command("wxlogin_erase", "--due")  # not due yet
        assert WxUser.objects.filter(openid=person.openid).exists()
        with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
            call_command("wxlogin_erase", "--due", "--dry-run")
            assert WxUser.objects.filter(openid=person.openid).exists()
            call_command("wxlogin_erase", "--due")
    finally:
        signals.erasing_user.disconnect(dispatch_uid="t_erasing")
        signals.user_erased.disconnect(dispatch_uid="t_erased")
    out = capsys.readouterr().out
    assert "Would erase 1 user." in out and "Erased 1 user." in out
    assert person.openid not in out
    assert erasing == [(person.user_pk, [person.openid])]
    assert erased == [(person.user_pk, 1, False)]
    assert AccountClosure.objects.get().state == "erased"
    assert not person.avatar_path.exists()
    assert traces(person) == []
    user = WxSession.objects.filter(user_id=person.user_pk).first().user
    assert not user.is_active and user.username.startswith("erased_")
    # The same WeChat person again: a brand-new user.
    fresh = client_of().post("/wx/login/", {"code": fresh_code("pat")}, format="json").json()
    assert fresh["user"]["id"] != person.user_pk and fresh["closure_cancelled"] is False


def test_a_grace_period_of_0_erases_at_once_and_delete_deletes(person, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "CLOSURE_GRACE_PERIOD": 0, "ERASE_USER": "delete"}
    answer = close(person.token, code=fresh_code("pat"))
    assert answer.status_code == 202 and answer.json()["state"] == "erased"
    assert not WxSession.objects.filter(user_id=person.user_pk).exists()
    assert traces(person) == []


def test_the_password_reauthenticates_too(django_user_model):
    django_user_model.objects.create_user("olga", password="olga-password")
    token = client_of().post("/wx/login/password/", {
        "username": "olga", "password": "olga-password"}, format="json").json()["token"]
    wrong = close(token, password="nope")
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_credentials"
    assert close(token, password="olga-password").status_code == 202
    assert client_of(token).get("/wx/sessions/").status_code == 401
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        call_command("wxlogin_erase", "--due")
    assert not django_user_model.objects.filter(username="olga").exists()
