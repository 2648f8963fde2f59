"""``WxSessionMiddleware``: server-rendered pages see the cookie's user."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from ..conftest import bearer
from .conftest import COOKIE, browser_login, wechat_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_page_sees_the_cookie_user_until_the_session_is_revoked():
    user, token = wechat_user()
    browser, _, _ = browser_login(user)
    assert browser.get("/web-whoami/").json() == {"user": str(user.pk)}
    APIClient().post("/wx/logout/all/", **bearer(token))
    assert browser.get("/web-whoami/").json() == {"user": None}


def test_without_a_cookie_or_with_garbage_the_page_is_anonymous():
    client = APIClient()
    assert client.get("/web-whoami/").json() == {"user": None}
    client.cookies[COOKIE] = "garbage\u00e9"
    assert client.get("/web-whoami/").json() == {"user": None}


def test_a_django_admin_session_is_left_alone(admin_client):
    assert admin_client.get("/web-whoami/").json()["user"] is not None
