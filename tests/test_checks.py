"""System checks keep their ids."""

from datetime import timedelta

import pytest

from django_wxlogin.checks import check_settings


def _ids(settings, **wxlogin):
    settings.WXLOGIN = wxlogin
    return sorted(message.id for message in check_settings())


@pytest.fixture
def good(settings):
    return {"APPID": "wx1", "SECRET": "s"}


def test_a_good_configuration_has_no_messages(settings, good):
    assert _ids(settings, **good) == []


def test_missing_credentials(settings):
    assert _ids(settings) == ["wxlogin.E001", "wxlogin.E002"]


def test_unknown_keys_are_typos(settings, good):
    assert _ids(settings, **good, TOKEN_TTL_SECONDS=5) == ["wxlogin.E006"]


def test_cache_alias(settings, good):
    assert _ids(settings, **good, CACHE_ALIAS="nope") == ["wxlogin.E003"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.DEBUG = False
    assert _ids(settings, **good) == ["wxlogin.W001"]
    settings.DEBUG = True
    assert _ids(settings, **good) == []


def test_durations(settings, good):
    assert _ids(settings, **good, TOKEN_TTL=0) == ["wxlogin.E004"]
    assert _ids(settings, **good, TOKEN_TTL="week") == ["wxlogin.E004"]
    assert _ids(settings, **good, TOKEN_TTL=timedelta(days=1), IDLE_TIMEOUT=30) == ["wxlogin.W002"]


def test_api_base_url(settings, good):
    assert _ids(settings, **good, API_BASE_URL="ftp://x") == ["wxlogin.E005"]
    assert _ids(settings, **good, API_BASE_URL="http://wechat.example.com") == ["wxlogin.W003"]
    assert _ids(settings, **good, API_BASE_URL="http://127.0.0.1:8090") == []


def test_rates(settings, good):
    assert _ids(settings, **good, LOGIN_RATE="5/min") == []
    assert _ids(settings, **good, LOGIN_RATE=None) == []
    for bad in ("5 per minute", "x/min", "5/fortnight", 5, ""):
        assert _ids(settings, **good, LOGIN_RATE=bad) == ["wxlogin.E007"], bad
