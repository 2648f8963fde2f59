"""The message-push settings' system checks."""

from __future__ import annotations

import pytest

from django_wxlogin.push.checks import check_push

from .conftest import AES_KEY


def ids(settings, **app) -> list[str]:
    settings.WXLOGIN = {"APPS": [{"APPID": "wxa", "SECRET": "s", **app}]}
    return [m.id for m in check_push()]


@pytest.mark.parametrize(("app", "expected"), [
    ({"TOKEN": "goodtoken1", "ENCODING_AES_KEY": AES_KEY, "PUSH_FORMAT": "xml"}, []),
    ({"TOKEN": "bad token!"}, ["wxlogin.E060"]),
    ({"TOKEN": "goodtoken1", "ENCODING_AES_KEY": "short"}, ["wxlogin.E061"]),
    ({"TOKEN": "goodtoken1", "PUSH_FORMAT": "yaml"}, ["wxlogin.E062"]),
    ({"ENCODING_AES_KEY": AES_KEY}, ["wxlogin.E063"]),
])
def test_app_push_settings(settings, app, expected):
    assert ids(settings, **app) == expected


def test_windows_must_be_positive(settings):
    settings.WXLOGIN = {"APPID": "wxa", "SECRET": "s", "PUSH_MAX_AGE": 0,
                        "PUSH_DEDUP_TTL": "1d"}
    assert [m.id for m in check_push()] == ["wxlogin.E064", "wxlogin.E064"]
