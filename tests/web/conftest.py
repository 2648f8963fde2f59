"""Browser sessions for the web tests: a user from a real WeChat login, logged in a browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.test import APIClient

from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.web.delivery import log_in_browser
from django_wxlogin.wechat.fake import openid_for

from ..conftest import log_in

COOKIE = "wxlogin_session"


def wechat_user(name: str = "alice") -> tuple[Any, str]:
    """The Django user of a mini program login of ``name``, and that login's token."""
    token, _ = log_in(name)
    return WxUser.objects.get(openid=openid_for("wxtestapp0000001", name)).user, token


WEB_APPID = "wxtestweb0000004"  # a website app's: a mini program session is not replaced


def browser_login(user: Any, *, secure: bool = False, surface: str = "website",
                  appid: str = WEB_APPID, client: APIClient | None = None
                  ) -> tuple[APIClient, WxSession, Any]:
    """``log_in_browser`` for ``user``: a client holding the cookie, the session, and the
    response the cookie was set on."""
    request = RequestFactory().get("/", secure=secure, HTTP_USER_AGENT="pytest-browser")
    response = HttpResponse()
    session = log_in_browser(request, response, user, appid=appid, surface=surface)
    client = client or APIClient()
    client.cookies[COOKIE] = response.cookies[COOKIE].value
    return client, session, response


@pytest.fixture
def csrf_client() -> APIClient:
    return APIClient(enforce_csrf_checks=True)
