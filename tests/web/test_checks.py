"""The system checks of web and app login (wxlogin.E040-E047, W040-W042)."""

from __future__ import annotations

import pytest

from django_wxlogin.web.checks import check_web

from ..conftest import MOBILE_APP, OFFICIAL_ACCOUNT, SHOP, WEBSITE


def _ids(settings, **wxlogin) -> list[str]:
    settings.WXLOGIN = {**settings.WXLOGIN, **wxlogin}
    return sorted(message.id for message in check_web())


def test_every_kind_configured_properly_passes(settings):
    assert _ids(settings, APPS=[SHOP, OFFICIAL_ACCOUNT, WEBSITE, MOBILE_APP,
                                {**OFFICIAL_ACCOUNT, "APPID": "wxoa2", "NAME": "oa2",
                                 "SCOPE": "snsapi_base"}]) == []


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"APPS": [{**SHOP, "KIND": "applet"}]}, ["wxlogin.E040"]),
    ({"APPS": [{**WEBSITE, "SCOPE": "snsapi_base"}]}, ["wxlogin.E041"]),
    ({"APPS": [{**OFFICIAL_ACCOUNT, "SCOPE": "snsapi_login"}]}, ["wxlogin.E041"]),
    ({"APPS": [{k: v for k, v in WEBSITE.items() if k != "NAME"}]}, ["wxlogin.W040"]),
    ({"OPEN_BASE_URL": "open.weixin.qq.com"}, ["wxlogin.E042"]),
    ({"OPEN_BASE_URL": "http://open.example.com"}, ["wxlogin.W041"]),
    ({"WEB_COOKIE_NAME": "sessionid"}, ["wxlogin.E043"]),
    ({"WEB_COOKIE_NAME": "a b"}, ["wxlogin.E043"]),
    ({"EXCHANGE_CODE_TTL": 300}, ["wxlogin.E044"]),
    ({"WEB_STATE_TTL": 5}, ["wxlogin.E045"]),
    ({"WEB_REDIRECT_HOSTS": "app.example.com"}, ["wxlogin.E046"]),
    ({"WEB_LOGIN_REDIRECT": "https://evil.example/"}, ["wxlogin.E047"]),
])
def test_each_misconfiguration_has_its_id(settings, overrides, expected):
    assert _ids(settings, **overrides) == expected


def test_the_middleware_must_follow_djangos_authentication(settings):
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    ours = "django_wxlogin.web.middleware.WxSessionMiddleware"
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m not in (auth, ours)]
    settings.MIDDLEWARE += [ours, auth]
    assert _ids(settings) == ["wxlogin.W042"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[:-2], auth, ours]
    assert _ids(settings) == []
