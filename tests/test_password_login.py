"""POST login/password/: an account's credentials for the same tokens as a WeChat login."""

from __future__ import annotations

import pytest
from django.contrib.auth import user_login_failed
from django.contrib.auth.hashers import make_password
from django.db import connection

from django_wxlogin.models import LoginMethod, RevokeReason, WxSession, WxUser
from django_wxlogin.wechat.fake import openid_for

from .conftest import SHOP, bearer

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"
PASSWORD = "correct horse battery staple"
URL = "/wx/login/password/"


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("member", password=PASSWORD)


def _login(api, username="member", password=PASSWORD, **extra):
    return api.post(URL, {"username": username, "password": password}, format="json", **extra)


def test_password_login_end_to_end(api, member):
    response = _login(api, HTTP_USER_AGENT="MiniProgram/8.0", REMOTE_ADDR="10.3.2.1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "token_type", "expires_at", "expires_in", "created", "user",
                         "closure_cancelled"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7 * 24 * 3600
    assert body["created"] is False
    assert body["user"] == {"id": member.pk}  # no WeChat identity: no WeChat fields
    assert response["Cache-Control"] == "no-store"
    assert PASSWORD not in response.content.decode()

    session = WxSession.objects.get()
    assert (session.user_id, session.appid, session.method) == (member.pk, APPID, "password")
    assert (session.user_agent, session.ip_address) == ("MiniProgram/8.0", "10.3.2.1")
    token = body["token"]
    assert api.get("/whoami/", **bearer(token)).json()["user"] == str(member.pk)
    listed = api.get("/wx/sessions/", **bearer(token)).json()
    assert [(s["method"], s["current"]) for s in listed] == [("password", True)]
    member.refresh_from_db()
    assert member.last_login is not None  # user_logged_in, as Django's login() sends it

    assert api.post("/wx/logout/", **bearer(token)).status_code == 204
    assert api.get("/whoami/", **bearer(token)).json()["code"] == "session_expired"


def test_an_account_with_a_wechat_identity_gets_its_wechat_fields(api, login):
    wechat = login("alice").json()
    user = WxUser.objects.get().user
    user.set_password(PASSWORD)
    user.save()
    response = _login(api, username=user.username)
    assert response.status_code == 200, response.content
    assert response.json()["user"] == {**wechat["user"], "openid": openid_for(APPID, "alice")}


@pytest.mark.parametrize(("username", "password"), [
    ("member", "wrong password"),
    ("nobody", PASSWORD),
])
def test_wrong_credentials_get_one_generic_answer(api, member, username, password):
    failures = []

    def record(sender, credentials, **kwargs):
        failures.append(credentials)

    user_login_failed.connect(record)
    try:
        response = _login(api, username=username, password=password)
    finally:
        user_login_failed.disconnect(record)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_credentials",
                               "detail": "The username or password is wrong."}
    assert "set-cookie" not in response.headers
    assert WxSession.objects.count() == 0
    # Django's own failure signal, with the password cleansed.
    assert failures == [{"username": username, "password": "********************"}]


def test_an_inactive_user_is_refused(api, member, settings):
    member.is_active = False
    member.save()
    # Django's ModelBackend does not authenticate inactive users: the generic answer.
    response = _login(api)
    assert response.status_code == 400 and response.json()["code"] == "invalid_credentials"
    # A backend that does: refused all the same, and told so (the password was right).
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    response = _login(api)
    assert response.status_code == 403 and response.json()["code"] == "user_inactive"
    assert _login(api, password="wrong").json()["code"] == "invalid_credentials"
    assert WxSession.objects.count() == 0


def test_any_auth_backend_works(api, settings, django_user_model):
    """authenticate() with the project's backends, here one that takes e-mail addresses."""
    settings.AUTHENTICATION_BACKENDS = ["tests.test_password_login.EmailBackend"]
    user = django_user_model.objects.create(username="x", email="x@example.com",
                                            password=make_password(PASSWORD))
    response = _login(api, username="x@example.com")
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == user.pk
    assert _login(api, username="x").status_code == 400


class EmailBackend:
    def authenticate(self, request, username=None, password=None):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(email=username).first()
        return user if user and user.check_password(password) else None

    def get_user(self, user_id):
        return None


def test_single_session_holds_across_both_ways_in(api, login):
    login("bob")
    user = WxUser.objects.get().user
    user.set_password(PASSWORD)
    user.save()  # which ends the WeChat session: log in again
    wechat = login("bob").json()["token"]
    password = _login(api, username=user.username).json()["token"]
    assert api.get("/whoami/", **bearer(wechat)).json()["code"] == "session_expired"
    assert WxSession.objects.filter(method=LoginMethod.WECHAT).latest("pk").revoke_reason == \
        RevokeReason.SINGLE_SESSION
    login("bob")
    assert api.get("/whoami/", **bearer(password)).json()["code"] == "session_expired"


def test_without_single_session_each_login_keeps_its_session(api, member, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    tokens = [_login(api).json()["token"] for _ in range(2)]
    assert all(api.get("/whoami/", **bearer(t)).status_code == 200 for t in tokens)


def test_the_password_login_is_throttled_apart_from_wechat_logins(api, member, login, settings,
                                                                   fake_wechat, fresh_window):
    settings.WXLOGIN = {**settings.WXLOGIN, "PASSWORD_RATE": "3/min", "LOGIN_RATE": "3/min"}
    ip = {"REMOTE_ADDR": "10.7.7.7"}
    assert _login(api, password="guess 1", **ip).status_code == 400
    assert _login(api, **ip).status_code == 200
    assert api.post("/wx/bind/", {"username": "member", "password": "guess 2",
                                  "bind_ticket": "x"}, format="json", **ip).status_code == 400
    throttled = _login(api, **ip)  # the fourth guess, counting bind/'s
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert _login(api, REMOTE_ADDR="10.7.7.8").status_code == 200
    assert login("alice", **ip).status_code == 200  # WeChat logins count on their own


def test_several_apps_name_one_like_wechat_logins(api, member, settings):
    base = {k: v for k, v in settings.WXLOGIN.items() if k not in ("APPID", "SECRET")}
    main = {"APPID": APPID, "SECRET": settings.WXLOGIN["SECRET"], "NAME": "main"}
    settings.WXLOGIN = {**base, "APPS": [main, SHOP]}
    response = _login(api)
    assert response.status_code == 400 and response.json()["code"] == "unknown_app"
    response = api.post(URL, {"username": "member", "password": PASSWORD, "app": "shop"},
                        format="json")
    assert response.status_code == 200, response.content
    assert WxSession.objects.get().appid == SHOP["APPID"]


@pytest.mark.parametrize("body", [
    {}, {"username": "member"}, {"password": PASSWORD}, {"username": "", "password": PASSWORD},
    {"username": "member", "password": ""}, {"username": 7, "password": PASSWORD},
    {"username": "member", "password": ["x"]}, {"username": "a\x00b", "password": PASSWORD},
    {"username": "x" * 255, "password": PASSWORD}, [], "member",
])
def test_bad_input_is_refused_before_authenticating(api, member, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_request"


def test_the_endpoints_are_absent_unless_switched_on(api, member, login, settings):
    token = login("carol").json()["token"]
    settings.WXLOGIN = {**settings.WXLOGIN, "PASSWORD_LOGIN": False}
    for path, headers in ((URL, {}), ("/wx/bind/", bearer(token)),
                          ("/wx/unbind/", bearer(token))):
        response = api.post(path, {"username": "member", "password": PASSWORD}, format="json",
                            **headers)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    assert WxSession.objects.filter(method=LoginMethod.PASSWORD).count() == 0


def test_errors_speak_chinese(api, member):
    response = _login(api, password="wrong", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["detail"] == "用户名或密码错误。"


def test_usernames_match_as_the_database_compares_them(api, member):
    """Case-sensitive on PostgreSQL; MySQL's and MariaDB's default collations ignore case, so
    "MEMBER" is the account "member" there (README, "MySQL and MariaDB")."""
    response = _login(api, username="MEMBER", password=PASSWORD)
    assert response.status_code == (400 if connection.vendor == "postgresql" else 200)
