"""System checks of the WXLOGIN settings, the multi-app and access-token ones in particular."""

from __future__ import annotations

import pytest

from django_wxlogin.checks import check_settings

from .conftest import BLOG, SHOP


def _ids(settings, **wxlogin) -> list[str]:
    base = {k: v for k, v in settings.WXLOGIN.items() if k not in ("APPID", "SECRET")}
    settings.WXLOGIN = {**base, **wxlogin}
    return sorted(message.id for message in check_settings())


def test_the_suite_settings_pass(settings):
    assert check_settings() == []


def test_several_apps_pass_without_appid_and_secret(settings):
    assert _ids(settings, APPS=[SHOP, BLOG, {"APPID": "wxnoname", "SECRET": "s"}]) == []


@pytest.mark.parametrize(("apps", "expected"), [
    ("wxshop", ["wxlogin.E007"]),
    ([SHOP, "wxblog"], ["wxlogin.E007"]),
    ([SHOP, {"SECRET": "s", "NAME": "nameless"}], ["wxlogin.E007"]),
    ([SHOP, {"APPID": "wxblog"}], ["wxlogin.E008"]),
    ([SHOP, {**BLOG, "APPID": SHOP["APPID"]}], ["wxlogin.E009"]),
    ([SHOP, {**BLOG, "NAME": "shop"}], ["wxlogin.E010"]),
    ([SHOP, {**BLOG, "NAME": SHOP["APPID"]}], ["wxlogin.E010"]),
    ([SHOP, {**BLOG, "NAME": "my blog/"}], ["wxlogin.E010"]),
    ([SHOP, {**BLOG, "TOKEN": "x"}], ["wxlogin.E012"]),
])
def test_bad_apps(settings, apps, expected):
    assert _ids(settings, APPS=apps) == expected


def test_apps_and_appid_together(settings):
    assert _ids(settings, APPS=[SHOP], APPID="wxother", SECRET="s") == ["wxlogin.E011"]


def test_no_app_at_all(settings):
    assert _ids(settings) == ["wxlogin.E001", "wxlogin.E002"]


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("ACCESS_TOKEN_ENDPOINT", "classic", []),
    ("ACCESS_TOKEN_ENDPOINT", "fresh", ["wxlogin.E013"]),
    ("ACCESS_TOKEN_MARGIN", 0, []),
    ("ACCESS_TOKEN_MARGIN", -1, ["wxlogin.E014"]),
    ("ACCESS_TOKEN_MARGIN", 7200, ["wxlogin.E014"]),
    ("ACCESS_TOKEN_MARGIN", "300", ["wxlogin.E014"]),
])
def test_access_token_settings(settings, setting, value, expected):
    settings.WXLOGIN = {**settings.WXLOGIN, setting: value}
    assert sorted(message.id for message in check_settings()) == expected
