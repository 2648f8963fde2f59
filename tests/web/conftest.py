"""Browser sessions for the web tests: a user from a real WeChat login, logged in a browser."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.test import APIClient

from django_wxlogin.models import WxSession, WxUser
from django_wxlogin.web.delivery import log_in_browser
from django_wxlogin.wechat.fake import openid_for

from ..conftest import MOBILE_APP, OFFICIAL_ACCOUNT, WEBSITE, log_in

COOKIE = "wxlogin_session"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


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


MINI_PROGRAM = {"APPID": "wxtestapp0000001", "SECRET": "s3cr3t-appsecret-never-logged",
                "NAME": "mini"}


@pytest.fixture
def surfaces(settings: Any) -> None:
    """Every kind of app at once: a mini program, an Official Account, a website, an app."""
    kept = {k: v for k, v in settings.WXLOGIN.items() if k not in ("APPID", "SECRET")}
    settings.WXLOGIN = {**kept, "APPS": [MINI_PROGRAM, OFFICIAL_ACCOUNT, WEBSITE, MOBILE_APP]}


def through_wechat(client: APIClient, app: str = "oa", user: str | None = "alice",
                   next_url: str = "/home/", **query: str) -> Any:
    """A browser's web login: the login redirect, WeChat's page (the fake's, over HTTP, where
    ``user`` is picked), and the callback. The callback's response (``user=None``: the
    redirect WeChat's page answered)."""
    start = client.get(f"/wx/web/{app}/login/", {"next": next_url, **query})
    assert start.status_code == 302, start.content
    wechat = requests.get(start["Location"].split("#")[0], timeout=10, allow_redirects=False,
                          params={"user": user} if user else None)
    if user is None:
        return wechat
    assert wechat.status_code == 302, wechat.text
    return client.get(callback_path(wechat.headers["Location"]), HTTP_ACCEPT=BROWSER_ACCEPT)


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"
