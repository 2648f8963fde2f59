"""Handing browsers their sessions: the cookie and the one-time exchange code."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from django_wxlogin.models import WxSession
from django_wxlogin.web import delivery

from ..conftest import bearer
from .conftest import COOKIE, browser_login, wechat_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_cookie_is_httponly_lax_and_secure_only_over_https():
    user, _ = wechat_user()
    _, session, response = browser_login(user)
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert WxSession.objects.get(pk=session.pk).digest != cookie.value  # a digest is stored
    _, _, secure = browser_login(user, secure=True)
    assert secure.cookies[COOKIE]["secure"]


def test_a_browser_session_is_listed_with_its_surface_beside_the_mini_programs():
    user, token = wechat_user()
    client, session, _ = browser_login(user, surface="official_account")
    listed = client.get("/wx/sessions/").json()
    surfaces = {s["id"]: (s["surface"], s["current"]) for s in listed}
    assert surfaces[session.pk] == ("official_account", True)
    assert ("miniprogram", False) in surfaces.values()
    assert session.user_agent == "pytest-browser"
    assert APIClient().get("/wx/sessions/", **bearer(token)).status_code == 200


def test_an_exchange_code_returns_the_login_body_once():
    user, _ = wechat_user()
    code = delivery.issue_exchange_code(user, appid="wxtestapp0000001", surface="website",
                                        request=None)
    first = APIClient().post("/wx/web/exchange/", {"code": code}, format="json")
    assert first.status_code == 200, first.content
    body = first.json()
    assert set(body) == {"token", "token_type", "expires_at", "expires_in", "created", "user"}
    assert body["user"]["openid"]  # the identity in that app, as login/ shows it
    again = APIClient().post("/wx/web/exchange/", {"code": code}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid_exchange_code"
    whoami = APIClient().get("/whoami/", **bearer(body["token"]))
    assert whoami.json()["user"] == str(user.pk)
    assert WxSession.objects.get(pk=whoami.json()["session"]).surface == "website"


def test_an_exchange_code_lives_at_most_a_minute_and_is_stored_as_a_digest_only(settings):
    from django.core.cache import cache

    settings.WXLOGIN = {**settings.WXLOGIN, "EXCHANGE_CODE_TTL": 3600}
    user, _ = wechat_user()
    code = delivery.issue_exchange_code(user, appid="wxtestapp0000001", surface="website",
                                        request=None)
    keys = [k.decode() for k in cache.client.get_client().keys("*:exchange:*")]
    assert len(keys) == 1 and code not in keys[0]
    assert 0 < cache.ttl(keys[0].split(":", 2)[2]) <= 60
    settings.WXLOGIN = {**settings.WXLOGIN, "EXCHANGE_CODE_TTL": 1}
    code = delivery.issue_exchange_code(user, appid="wxtestapp0000001", surface="website",
                                        request=None)
    time.sleep(1.5)
    late = APIClient().post("/wx/web/exchange/", {"code": code}, format="json")
    assert late.status_code == 400 and late.json()["code"] == "invalid_exchange_code"


def test_a_logout_everywhere_after_issue_voids_the_exchange_code():
    user, token = wechat_user()
    code = delivery.issue_exchange_code(user, appid="wxtestapp0000001", surface="website",
                                        request=None)
    assert APIClient().post("/wx/logout/all/", **bearer(token)).status_code == 204
    answer = APIClient().post("/wx/web/exchange/", {"code": code}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_exchange_code"


def test_a_banned_user_gets_no_session_from_a_code_or_a_cookie():
    user, _ = wechat_user()
    code = delivery.issue_exchange_code(user, appid="wxtestapp0000001", surface="website",
                                        request=None)
    user.is_active = False
    user.save()
    answer = APIClient().post("/wx/web/exchange/", {"code": code}, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "user_inactive"
    before = WxSession.objects.count()
    with pytest.raises(Exception, match="disabled"):
        browser_login(user)
    assert WxSession.objects.count() == before


def test_made_up_and_malformed_exchange_codes_are_400():
    for code in ("nope", "x" * 43):
        answer = APIClient().post("/wx/web/exchange/", {"code": code}, format="json")
        assert answer.status_code == 400 and answer.json()["code"] == "invalid_exchange_code"
    answer = APIClient().post("/wx/web/exchange/", {"code": 5}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_request"
