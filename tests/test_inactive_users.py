"""Banned means out: every way in refuses a deactivated user with 403 user_inactive, creates no
session and caches nothing; a cached user that is inactive is refused on the warm path too."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_redis import get_redis_connection

from django_wxlogin import bind_tickets
from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.sessions import codec, store
from django_wxlogin.sessions.tokens import user_reference

from .conftest import SHOP, bearer, fresh_code, log_in

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"
PASSWORD = "correct horse battery staple"
ALLOW_INACTIVE = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]


def _session_keys() -> set[bytes]:
    """The session cache's keys (throttle counters and the used-code locks aside)."""
    return {k for k in get_redis_connection("default").keys("*")
            if b":throttle:" not in k and b":code:" not in k}


def _deactivate(user) -> None:
    user.is_active = False
    user.save()


def _refused(response) -> None:
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "user_inactive"


def test_a_deactivated_wechat_user_cannot_log_in_again(api):
    old, _ = log_in("ban")
    user = WxUser.objects.get().user
    _deactivate(user)
    assert api.get("/whoami/", **bearer(old)).status_code == 401
    sessions, keys = WxSession.objects.count(), _session_keys()
    session_key = WxUser.objects.get().session_key
    _refused(api.post("/wx/login/", {"code": fresh_code("ban")}, format="json"))
    assert WxSession.objects.count() == sessions and _session_keys() == keys
    assert WxUser.objects.get().session_key == session_key  # the refusal wrote nothing


def test_the_unionid_join_refuses_a_deactivated_user(api, settings):
    base = {k: v for k, v in settings.WXLOGIN.items() if k not in ("APPID", "SECRET")}
    settings.WXLOGIN = {**base, "APPS": [
        {"APPID": APPID, "SECRET": settings.WXLOGIN["SECRET"], "NAME": "main"}, SHOP]}
    log_in("ban", path="/wx/login/main/")
    _deactivate(WxUser.objects.get().user)
    keys = _session_keys()
    _refused(api.post("/wx/login/shop/", {"code": fresh_code("ban")}, format="json"))
    assert WxUser.objects.count() == 1  # no identity in the shop was made
    assert WxSession.objects.count() == 1 and _session_keys() == keys


@pytest.fixture
def inactive_member(django_user_model, settings):
    settings.AUTHENTICATION_BACKENDS = ALLOW_INACTIVE  # a backend that lets it this far
    return django_user_model.objects.create_user("member", password=PASSWORD, is_active=False)


def test_password_login_and_binding_refuse_a_deactivated_account(api, inactive_member):
    credentials = {"username": "member", "password": PASSWORD}
    _refused(api.post("/wx/login/password/", credentials, format="json"))
    token, _ = log_in("newbie")
    _refused(api.post("/wx/bind/", credentials, format="json", **bearer(token)))
    assert not WxSession.objects.filter(user=inactive_member).exists()


def test_a_bind_ticket_cannot_open_a_deactivated_account(api, inactive_member, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "REQUIRE_ACCOUNT": True}
    ticket = api.post("/wx/login/", {"code": fresh_code("guest")},
                      format="json").json()["bind_ticket"]
    _refused(api.post("/wx/bind/", {"username": "member", "password": PASSWORD,
                                    "bind_ticket": ticket}, format="json"))
    assert not WxUser.objects.exists() and not WxSession.objects.exists()
    bind_tickets.read(ticket)  # still usable: the refusal rolled its redemption back


def test_issue_refuses_an_account_deactivated_after_its_password_was_checked(inactive_member):
    with pytest.raises(Exception) as refused:
        store.issue(inactive_member, appid=APPID)
    assert refused.value.get_codes() == "user_inactive"


def test_the_warm_path_refuses_an_inactive_cached_user(api):
    token, _ = log_in("ban")
    assert api.get("/whoami/", **bearer(token)).status_code == 200  # warm now
    # A cache entry that says inactive (as one written just after a deactivation would).
    user = get_user_model().objects.get(pk=user_reference(token))
    user.is_active = False
    redis = get_redis_connection("default")
    name = next(k for k in redis.keys("*") if k.endswith(f":{{{user.pk}}}:u".encode()))
    redis.set(name, redis.get(name)[:codec.NONCE_LENGTH] + codec.pack_user(user), keepttl=True)
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "user_inactive"
