"""A password change ends the account's sessions, whichever way it changes: set_password and
save (here in another process), the admin's form, changepassword; unless turned off."""

from __future__ import annotations

import pytest

from django_wxlogin.models import RevokeReason, WxSession

from .conftest import bearer, manage

pytestmark = pytest.mark.django_db(transaction=True)
OLD, NEW = "correct horse battery staple", "a new passphrase, 2030"


@pytest.fixture
def member(django_user_model, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    return django_user_model.objects.create_user("member", password=OLD)


def _tokens(api, count=2) -> list[str]:
    return [api.post("/wx/login/password/", {"username": "member", "password": OLD},
                     format="json").json()["token"] for _ in range(count)]


def _statuses(api, tokens) -> list[int]:
    return [api.get("/whoami/", **bearer(t)).status_code for t in tokens]


def test_set_password_and_save_in_another_process_ends_every_session(api, member):
    tokens = _tokens(api)
    assert _statuses(api, tokens) == [200, 200]  # and cached on this side
    changed = manage("shell", "-c", "from django.contrib.auth.models import User; "
                      f"u = User.objects.get(username='member'); u.set_password({NEW!r}); u.save()")
    assert changed.returncode == 0, changed.stderr
    assert _statuses(api, tokens) == [401, 401]
    assert set(WxSession.objects.values_list("revoke_reason", flat=True)) == \
        {RevokeReason.PASSWORD_CHANGED}


def test_the_admins_password_form_ends_every_session(api, admin_client, member):
    tokens = _tokens(api)
    response = admin_client.post(f"/admin/auth/user/{member.pk}/password/",
                                 {"password1": NEW, "password2": NEW, "usable_password": "true"})
    assert response.status_code == 302, response.content
    assert _statuses(api, tokens) == [401, 401]


def test_changepassword_ends_every_session(api, member, monkeypatch):
    tokens = _tokens(api)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW)
    from django.core.management import call_command
    call_command("changepassword", "member")
    assert _statuses(api, tokens) == [401, 401]


def test_other_saves_and_rehashes_end_nothing(api, member):
    tokens = _tokens(api)
    member.first_name = "Mem"
    member.save()
    member.check_password(OLD)  # a hash upgrade, if any, is no change
    assert _statuses(api, tokens) == [200, 200]


def test_an_unusable_password_in_another_process_ends_every_session(api, member):
    tokens = _tokens(api)
    locked = manage("shell", "-c", "from django.contrib.auth.models import User; "
                    "u = User.objects.get(username='member'); u.set_unusable_password(); u.save()")
    assert locked.returncode == 0, locked.stderr
    assert _statuses(api, tokens) == [401, 401]


def test_saving_a_wechat_only_user_ends_nothing(api, login):
    token = login("alice").json()["token"]
    user = WxSession.objects.get().user
    assert not user.has_usable_password()  # as CREATE_USER makes it
    user.first_name = "Alice"
    user.save()
    assert _statuses(api, [token]) == [200]


def test_the_setting_turns_it_off(api, member, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "PASSWORD_CHANGE_REVOKES": False}
    tokens = _tokens(api)
    member.set_password(NEW)
    member.save()
    assert _statuses(api, tokens) == [200, 200]
