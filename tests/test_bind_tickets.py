"""REQUIRE_ACCOUNT: a first WeChat login gets a bind ticket instead of a user; bind/ trades it,
with an account's credentials, for a token."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from django_wxlogin import bind_tickets
from django_wxlogin.exceptions import InvalidBindTicket
from django_wxlogin.models import LoginMethod, WxSession, WxUser
from django_wxlogin.wechat.fake import openid_for, session_key_for, unionid_for

from .conftest import BLOG, SHOP, bearer, fresh_code

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"
PASSWORD = "correct horse battery staple"
CREDENTIALS = {"username": "member", "password": PASSWORD}


@pytest.fixture(autouse=True)
def accounts_only(settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "REQUIRE_ACCOUNT": True}


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("member", password=PASSWORD)


def _refused(api, user="alice", code=None):
    """A first WeChat login: its 403 body, and the code it used."""
    code = code or fresh_code(user)
    response = api.post("/wx/login/", {"code": code}, format="json")
    assert response.status_code == 403, response.content
    return response.json(), code


def _redeem(api, ticket, credentials=CREDENTIALS, **extra):
    return api.post("/wx/bind/", {**credentials, "bind_ticket": ticket}, format="json", **extra)


def test_the_bind_ticket_flow_end_to_end(api, member):
    body, code = _refused(api, "alice")
    assert set(body) == {"code", "detail", "bind_ticket", "expires_in"}
    assert body["code"] == "account_required" and body["expires_in"] == 600
    assert len(body["bind_ticket"]) >= 43  # 256 bits, base64url
    assert get_user_model().objects.count() == 1  # the account only: no user was created
    assert not WxUser.objects.exists() and not WxSession.objects.exists()

    response = _redeem(api, body["bind_ticket"], HTTP_USER_AGENT="MiniProgram/8.0")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    bound = response.json()
    assert bound["created"] is True  # a new identity: time to ask for a nickname and avatar
    assert bound["user"] == {"id": member.pk, "openid": openid_for(APPID, "alice"),
                             "unionid": unionid_for("alice"), "nickname": "", "avatar_url": ""}
    wxuser = WxUser.objects.get()
    assert wxuser.user_id == member.pk
    assert wxuser.session_key == session_key_for(APPID, code)  # decrypt/ works at once
    session = WxSession.objects.get()
    assert (session.method, session.appid, session.user_agent) == \
        (LoginMethod.WECHAT, APPID, "MiniProgram/8.0")
    assert api.get("/whoami/", **bearer(bound["token"])).json()["user"] == str(member.pk)

    # From now on the WeChat user logs in like anyone known.
    again = api.post("/wx/login/", {"code": fresh_code("alice")}, format="json")
    assert again.status_code == 200 and again.json()["user"]["id"] == member.pk


def test_a_ticket_works_once(api, member, django_user_model):
    ticket = _refused(api)[0]["bind_ticket"]
    assert _redeem(api, ticket).status_code == 200
    django_user_model.objects.create_user("other", password=PASSWORD)
    response = _redeem(api, ticket, {"username": "other", "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_bind_ticket"
    assert WxUser.objects.get().user_id == member.pk


def test_concurrent_redemptions_of_one_ticket_bind_once(member, django_user_model):
    others = [django_user_model.objects.create_user(f"other{i}", password=PASSWORD)
              for i in range(5)]
    ticket = _refused(APIClient())[0]["bind_ticket"]
    barrier = threading.Barrier(len(others))
    statuses = []

    def worker(user) -> None:
        try:
            barrier.wait()
            response = _redeem(APIClient(), ticket, {"username": user.username,
                                                     "password": PASSWORD})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(user,)) for user in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 400, 400, 400, 400]
    assert WxUser.objects.count() == 1


def test_a_refusal_leaves_the_ticket_usable(api, member, django_user_model):
    ticket = _refused(api)[0]["bind_ticket"]
    wrong = _redeem(api, ticket, {"username": "member", "password": "typo"})
    assert wrong.json()["code"] == "invalid_credentials"
    taken = django_user_model.objects.create_user("taken", password=PASSWORD)
    WxUser.objects.create(user=taken, appid=APPID, openid="o-someone-else")
    busy = _redeem(api, ticket, {"username": "taken", "password": PASSWORD})
    assert busy.status_code == 409 and busy.json()["code"] == "already_bound"
    assert _redeem(api, ticket).status_code == 200


def test_a_second_ticket_of_a_bound_wechat_user_is_refused(api, member, django_user_model):
    first = _refused(api, "dan")[0]["bind_ticket"]
    second = _refused(api, "dan")[0]["bind_ticket"]  # before the first was redeemed
    assert _redeem(api, first).status_code == 200
    django_user_model.objects.create_user("other", password=PASSWORD)
    response = _redeem(api, second, {"username": "other", "password": PASSWORD})
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_bound",
        "detail": "This WeChat user is already bound to an account: log in with WeChat."}
    assert WxUser.objects.get().user_id == member.pk


def test_an_expired_or_unknown_ticket_is_refused(api, member, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "BIND_TICKET_TTL": 1}
    body = _refused(api)[0]
    assert body["expires_in"] == 1
    time.sleep(1.5)
    for ticket in (body["bind_ticket"], "not-a-ticket", "x" * 128):
        response = _redeem(api, ticket)
        assert response.status_code == 400, ticket
        assert response.json() == {
            "code": "invalid_bind_ticket",
            "detail": "The bind ticket is invalid, expired or already used; call wx.login and "
                      "log in again."}
    assert not WxUser.objects.exists()


def test_the_cache_holds_neither_the_ticket_nor_the_session_key(api, member):
    body, code = _refused(api)
    redis = get_redis_connection("default")
    stored = b"".join(key + (redis.get(key) or b"") for key in redis.scan_iter("*bind*"))
    assert stored
    for secret in (body["bind_ticket"], session_key_for(APPID, code)):
        assert secret.encode() not in stored


def test_returning_users_and_unionid_users_log_in_under_either_policy(api, settings, member):
    base = {k: v for k, v in settings.WXLOGIN.items() if k not in ("APPID", "SECRET")}
    settings.WXLOGIN = {**base, "APPS": [SHOP, BLOG]}
    ticket = api.post("/wx/login/shop/", {"code": fresh_code("bea")}, format="json") \
        .json()["bind_ticket"]
    assert _redeem(api, ticket).status_code == 200
    # Known from the shop by her unionid: the blog joins her account, no ticket needed.
    blog = api.post("/wx/login/blog/", {"code": fresh_code("bea")}, format="json")
    assert blog.status_code == 200, blog.content
    assert blog.json()["user"]["id"] == member.pk and blog.json()["created"] is True
    # Without a unionid the blog cannot tell: a ticket.
    nounion = api.post("/wx/login/blog/", {"code": fresh_code("nounion2")}, format="json")
    assert nounion.status_code == 403 and nounion.json()["code"] == "account_required"


def test_no_ticket_without_the_cache(api, member, private_redis):
    private_redis.kill()
    response = api.post("/wx/login/", {"code": fresh_code("cid")}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert "bind_ticket" not in response.json()
    assert get_user_model().objects.count() == 1 and not WxUser.objects.exists()


def test_read_and_redeem(member):
    from django_wxlogin.wechat.client import Code2SessionResult

    identity = Code2SessionResult(openid="o-x", session_key="a2V5a2V5a2V5a2V5a2V5aw==",
                                  unionid=None)
    ticket = bind_tickets.account_required(identity, APPID).extra["bind_ticket"]
    appid, found = bind_tickets.read(ticket)
    assert (appid, found.openid, found.unionid, found.session_key) == \
        (APPID, "o-x", None, identity.session_key)
    bind_tickets.read(ticket)  # reading leaves it
    bind_tickets.redeem(ticket)
    with pytest.raises(InvalidBindTicket):
        bind_tickets.redeem(ticket)
    with pytest.raises(InvalidBindTicket):
        bind_tickets.read(ticket)
