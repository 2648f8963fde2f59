"""Binding WeChat users to accounts (POST bind/ with a token) and unbinding (POST unbind/)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from django_wxlogin.models import LoginMethod, RevokeReason, WxSession, WxUser
from django_wxlogin.signals import accounts_merged
from django_wxlogin.wechat.fake import openid_for, unionid_for

from .conftest import BLOG, SHOP, bearer, fresh_code

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"
PASSWORD = "correct horse battery staple"
CREDENTIALS = {"username": "member", "password": PASSWORD}


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("member", password=PASSWORD)


def _bind(api, token, credentials=CREDENTIALS):
    return api.post("/wx/bind/", credentials, format="json", **bearer(token))


def _code(api, token) -> str | None:
    response = api.get("/whoami/", **bearer(token))
    return None if response.status_code == 200 else response.json()["code"]


def test_binding_merges_the_wechat_user_without_losing_data(api, login, member, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    tokens = [login("alice").json()["token"] for _ in range(2)]
    api.patch("/wx/profile/", {"nickname": "小明", "avatar_url": "https://example.com/a.png"},
              format="json", **bearer(tokens[0]))
    assert api.post("/wx/phone/", {"code": "phone.13700137000"}, format="json",
                    **bearer(tokens[0])).status_code == 200
    retired = WxUser.objects.get().user
    sessions = set(WxSession.objects.values_list("pk", flat=True))

    response = _bind(api, tokens[0])
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["created"] is False
    assert body["user"] == {"id": member.pk, "openid": openid_for(APPID, "alice"),
                            "unionid": unionid_for("alice"), "nickname": "小明",
                            "avatar_url": "https://example.com/a.png"}
    assert api.get("/whoami/", **bearer(body["token"])).json()["user"] == str(member.pk)

    # The profile travelled with the identity; the retired user is gone without a trace.
    wxuser = WxUser.objects.get()
    assert (wxuser.user_id, wxuser.nickname, wxuser.phone_number) == \
        (member.pk, "小明", "13700137000")
    assert wxuser.session_key  # still the latest login's, for decrypt/
    assert not get_user_model().objects.filter(pk=retired.pk).exists()
    assert set(get_user_model().objects.values_list("pk", flat=True)) == {member.pk}
    # Its sessions are revoked, kept as a record under the account; its tokens are dead.
    for token in tokens:
        assert _code(api, token) in ("invalid_token", "session_expired")
    old = WxSession.objects.filter(pk__in=sessions)
    assert {(s.user_id, s.revoke_reason) for s in old} == {(member.pk, RevokeReason.MERGED)}
    new = WxSession.objects.live().get()
    assert (new.user_id, new.method, new.appid) == (member.pk, LoginMethod.WECHAT, APPID)

    # Both ways in now reach the account.
    again = login("alice").json()
    assert again["user"]["id"] == member.pk and again["created"] is False
    password = api.post("/wx/login/password/", CREDENTIALS, format="json").json()
    assert password["user"]["openid"] == openid_for(APPID, "alice")
    assert password["user"]["nickname"] == "小明"


def test_every_identity_of_the_wechat_user_moves(api, member, settings):
    base = {k: v for k, v in settings.WXLOGIN.items() if k not in ("APPID", "SECRET")}
    settings.WXLOGIN = {**base, "APPS": [SHOP, BLOG], "SINGLE_SESSION": False}
    shop = api.post("/wx/login/shop/", {"code": fresh_code("dora")}, format="json").json()
    api.post("/wx/login/blog/", {"code": fresh_code("dora")}, format="json")
    assert WxUser.objects.filter(user_id=shop["user"]["id"]).count() == 2
    assert _bind(api, shop["token"]).status_code == 200
    assert set(WxUser.objects.values_list("user_id", flat=True)) == {member.pk}
    blog = api.post("/wx/login/blog/", {"code": fresh_code("dora")}, format="json").json()
    assert blog["user"]["id"] == member.pk


def test_accounts_merged_lets_the_project_move_its_rows(api, login, member):
    token = login("erin").json()["token"]
    retired_pk = WxUser.objects.get().user_id
    seen = []

    def receiver(sender, retired_user, account, request, **kwargs):
        # Still there, its identities already moved: the moment to move the project's rows.
        assert get_user_model().objects.filter(pk=retired_user.pk).exists()
        assert not WxUser.objects.filter(user=retired_user).exists()
        seen.append((sender, retired_user.pk, account.pk, request.path))

    accounts_merged.connect(receiver)
    try:
        assert _bind(api, token).status_code == 200
    finally:
        accounts_merged.disconnect(receiver)
    assert seen == [(get_user_model(), retired_pk, member.pk, "/wx/bind/")]


def test_a_receiver_that_raises_refuses_the_binding_and_nothing_changes(api, login, member):
    token = login("erin").json()["token"]
    before = list(WxUser.objects.values_list("pk", "user_id"))

    def refuse(**kwargs):
        from rest_framework.exceptions import PermissionDenied

        raise PermissionDenied("Not today.")

    accounts_merged.connect(refuse)
    try:
        response = _bind(api, token)
    finally:
        accounts_merged.disconnect(refuse)
    assert response.status_code == 403 and response.json()["detail"] == "Not today."
    assert list(WxUser.objects.values_list("pk", "user_id")) == before
    assert _code(api, token) is None  # its session was not revoked either
    assert WxSession.objects.filter(user=member).count() == 0


def test_binding_an_account_that_already_has_a_wechat_identity_is_refused(api, login, member):
    first = login("fay").json()["token"]
    bound = _bind(api, first).json()["token"]
    assert _bind(api, bound).json()["code"] == "already_bound"  # the same identity again

    second = login("gus").json()["token"]
    gus = WxUser.objects.get(openid=openid_for(APPID, "gus"))
    response = _bind(api, second)
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_bound",
        "detail": "This account already has a WeChat identity in this mini program."}
    assert WxUser.objects.get(pk=gus.pk).user_id == gus.user_id  # untouched
    assert _code(api, second) is None


def test_a_user_that_is_more_than_a_wechat_login_is_not_merged(api, login, member):
    token = login("hal").json()["token"]
    user = WxUser.objects.get().user
    user.set_password("its own password")
    user.save()
    token = login("hal").json()["token"]  # saving the user voided its cached sessions
    response = _bind(api, token)
    assert response.status_code == 409 and response.json()["code"] == "merge_refused"
    assert WxUser.objects.get().user_id == user.pk
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_wrong_credentials_bind_nothing(api, login, member):
    token = login("ida").json()["token"]
    for credentials in ({"username": "member", "password": "wrong"},
                        {"username": "nobody", "password": PASSWORD}):
        response = _bind(api, token, credentials)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_credentials"
    assert WxUser.objects.get().user_id != member.pk
    assert _code(api, token) is None


def test_binding_needs_a_token_or_a_ticket(api, member):
    response = api.post("/wx/bind/", CREDENTIALS, format="json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_concurrent_bindings_to_one_account_bind_one(member):
    clients = {name: APIClient() for name in ("jon", "kim", "lea", "max")}
    tokens = {name: client.post("/wx/login/", {"code": fresh_code(name)}, format="json")
              .json()["token"] for name, client in clients.items()}
    barrier = threading.Barrier(len(clients))
    statuses = []

    def worker(name: str) -> None:
        try:
            barrier.wait()
            statuses.append(_bind(clients[name], tokens[name]).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert WxUser.objects.filter(user=member).count() == 1
    assert get_user_model().objects.count() == 4  # the account and the three others
    assert WxSession.objects.live().filter(user=member).count() == 1


# unbind/

def test_unbinding_keeps_the_password_and_ends_the_wechat_sessions(api, login, member,
                                                                   settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    wechat = _bind(api, login("ned").json()["token"]).json()["token"]
    password = api.post("/wx/login/password/", CREDENTIALS, format="json").json()["token"]

    response = api.post("/wx/unbind/", **bearer(wechat))
    assert response.status_code == 204
    assert not WxUser.objects.exists()
    assert _code(api, wechat) == "session_expired"
    assert WxSession.objects.get(user=member, revoke_reason=RevokeReason.UNBIND).method == \
        LoginMethod.WECHAT
    assert _code(api, password) is None
    # The WeChat user is a stranger to the account again: a login makes a new user.
    fresh = login("ned").json()
    assert fresh["created"] is True and fresh["user"]["id"] != member.pk
    response = api.post("/wx/unbind/", **bearer(password))  # no identity left to unbind
    assert response.status_code == 404 and response.json()["code"] == "no_wechat_identity"


def test_unbinding_the_last_way_in_is_refused(api, login):
    token = login("oli").json()["token"]
    response = api.post("/wx/unbind/", **bearer(token))
    assert response.status_code == 409 and response.json()["code"] == "last_login_method"
    assert WxUser.objects.count() == 1 and _code(api, token) is None


def test_another_mini_program_is_a_way_in(api, settings):
    base = {k: v for k, v in settings.WXLOGIN.items() if k not in ("APPID", "SECRET")}
    settings.WXLOGIN = {**base, "APPS": [SHOP, BLOG], "SINGLE_SESSION": False}
    shop = api.post("/wx/login/shop/", {"code": fresh_code("pia")}, format="json").json()
    blog = api.post("/wx/login/blog/", {"code": fresh_code("pia")}, format="json").json()
    assert api.post("/wx/unbind/", **bearer(shop["token"])).status_code == 204
    assert list(WxUser.objects.values_list("appid", flat=True)) == [BLOG["APPID"]]
    assert _code(api, blog["token"]) is None
    assert api.post("/wx/unbind/", **bearer(blog["token"])).json()["code"] == \
        "last_login_method"


def test_unbinding_needs_a_token(api):
    response = api.post("/wx/unbind/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
