"""System checks of the WXLOGIN settings, the multi-app and access-token ones in particular."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django_wxlogin.checks import check_settings
from django_wxlogin.wechat.fake import FakeWeChat

from .conftest import BLOG, SHOP


def _ids(settings, **wxlogin) -> list[str]:
    # Without the suite's fake WeChat on loopback (wxlogin.E023, silenced for the suite).
    base = {k: v for k, v in settings.WXLOGIN.items()
            if k not in ("APPID", "SECRET", "API_BASE_URL")}
    settings.WXLOGIN = {**base, **wxlogin}
    return sorted(message.id for message in check_settings())


def test_the_suite_settings_pass(settings):
    # Only the fake WeChat on loopback with DEBUG off, which the suite silences.
    assert [message.id for message in check_settings()] == ["wxlogin.E023"]
    assert "wxlogin.E023" in settings.SILENCED_SYSTEM_CHECKS


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
    ([SHOP, {**BLOG, "COLOUR": "x"}], ["wxlogin.E012"]),
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
    assert _ids(settings, APPID="wx1", SECRET="s", **{setting: value}) == expected


# The single-app form, each check on its own.

def _only(settings, **wxlogin):
    settings.WXLOGIN = wxlogin
    return sorted(message.id for message in check_settings())


@pytest.fixture
def good(settings):
    return {"APPID": "wx1", "SECRET": "s"}


def test_a_good_configuration_has_no_messages(settings, good):
    assert _only(settings, **good) == []


def test_missing_credentials(settings):
    assert _only(settings) == ["wxlogin.E001", "wxlogin.E002"]


def test_unknown_keys_are_typos(settings, good):
    assert _only(settings, **good, TOKEN_TTL_SECONDS=5) == ["wxlogin.E006"]


def test_cache_alias(settings, good):
    assert _only(settings, **good, CACHE_ALIAS="nope") == ["wxlogin.E003"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.DEBUG = False
    assert _only(settings, **good) == ["wxlogin.W001"]
    settings.DEBUG = True
    assert _only(settings, **good) == []


def test_durations(settings, good):
    assert _only(settings, **good, TOKEN_TTL=0) == ["wxlogin.E004"]
    assert _only(settings, **good, TOKEN_TTL="week") == ["wxlogin.E004"]
    assert _only(settings, **good, TOKEN_TTL=timedelta(days=1), IDLE_TIMEOUT=30) == ["wxlogin.W002"]


def test_api_base_url(settings, good):
    assert _only(settings, **good, API_BASE_URL="ftp://x") == ["wxlogin.E005"]
    assert _only(settings, **good, API_BASE_URL="http://wechat.example.com") == ["wxlogin.W003"]
    settings.DEBUG = True
    assert _only(settings, **good, API_BASE_URL="http://127.0.0.1:8090") == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:8090", "http://localhost:8090",
                                 "http://[::1]:8090", "http://0.0.0.0:1", "https://127.9.9.9"])
def test_a_loopback_wechat_with_debug_off_is_an_error(settings, good, url):
    settings.DEBUG = False
    assert _only(settings, **good, API_BASE_URL=url) == ["wxlogin.E023"]
    settings.DEBUG = True
    assert _only(settings, **good, API_BASE_URL=url) == []


def test_the_fake_wechat_with_debug_off_is_an_error(settings, good):
    settings.DEBUG = False
    assert _only(settings, **good) == []  # the real WeChat, the default
    with FakeWeChat({"wx1": "s"}) as fake:
        assert _only(settings, **good) == []  # serving, but not used
        assert _only(settings, **good, API_BASE_URL=fake.url + "/") == ["wxlogin.E023"]


def test_rates(settings, good):
    assert _only(settings, **good, LOGIN_RATE="5/min") == []
    assert _only(settings, **good, LOGIN_RATE=None) == []
    for bad in ("5 per minute", "x/min", "5/fortnight", 5, ""):
        assert _only(settings, **good, LOGIN_RATE=bad) == ["wxlogin.E015"], bad
        assert _only(settings, **good, ACCOUNT_RATE=bad) == ["wxlogin.E015"], bad


def test_openapi_extra(settings):
    base = {"APPID": "wx1", "SECRET": "s"}
    assert _only(settings, **base) == []
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_SCHEMA_CLASS":
                               "rest_framework.schemas.openapi.AutoSchema"}
    assert _only(settings, **base) == ["wxlogin.W009"]
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "drf_spectacular"]
    assert _only(settings, **base) == []


# Accounts and passwords.

def test_an_app_named_password_is_refused(settings):
    assert _ids(settings, APPS=[SHOP, {**BLOG, "NAME": "password"}]) == ["wxlogin.E016"]
    assert _ids(settings, APPS=[SHOP, {**BLOG, "NAME": "Password"}]) == []


def test_bind_ticket_ttl(settings, good):
    assert _only(settings, **good, BIND_TICKET_TTL=timedelta(minutes=5)) == []
    for bad in (0, -1, "ten minutes", None):
        assert _only(settings, **good, BIND_TICKET_TTL=bad) == ["wxlogin.E017"], bad


def test_require_account_needs_password_login(settings, good):
    assert _only(settings, **good, REQUIRE_ACCOUNT=True) == ["wxlogin.E018"]
    assert _only(settings, **good, REQUIRE_ACCOUNT=True, PASSWORD_LOGIN=True) == []


@pytest.mark.parametrize("rate", ["PASSWORD_RATE", "ACCOUNT_RATE"])
def test_unthrottled_password_login_is_a_warning(settings, good, rate):
    settings.DEBUG = False
    assert _only(settings, **good, PASSWORD_LOGIN=True, **{rate: None}) == ["wxlogin.W004"]
    assert _only(settings, **good, PASSWORD_LOGIN=True, LOGIN_RATE=None) == []
    assert _only(settings, **good, PASSWORD_LOGIN=False, **{rate: None}) == []
    settings.DEBUG = True
    assert _only(settings, **good, PASSWORD_LOGIN=True, **{rate: None}) == []


def test_ipv6_prefix(settings, good):
    assert _only(settings, **good, THROTTLE_IPV6_PREFIX=56) == []
    for bad in (0, 129, "64", True, None):
        assert _only(settings, **good, THROTTLE_IPV6_PREFIX=bad) == ["wxlogin.E024"], bad


def test_revocation_sync_interval(settings, good):
    assert _only(settings, **good, REVOCATION_SYNC_INTERVAL=0.5) == []
    for bad in (0, -1, 301, "2", None, True):
        assert _only(settings, **good, REVOCATION_SYNC_INTERVAL=bad) == ["wxlogin.E025"], bad


def test_cache_retry_after(settings, good):
    assert _only(settings, **good, CACHE_RETRY_AFTER=0) == []
    assert _only(settings, **good, CACHE_RETRY_AFTER=2.5) == []
    for bad in (-1, "5", None, True):
        assert _only(settings, **good, CACHE_RETRY_AFTER=bad) == ["wxlogin.E020"], bad


def test_local_cache(settings, good):
    assert _only(settings, **good, LOCAL_CACHE=False, LOCAL_CACHE_MAX_ENTRIES=1,
                 LOCAL_CACHE_MAX_BYTES=4096, LOCAL_CACHE_HEARTBEAT=0.25) == []
    for bad in ("yes", 1, None):
        assert _only(settings, **good, LOCAL_CACHE=bad) == ["wxlogin.E030"], bad
    for name in ("LOCAL_CACHE_MAX_ENTRIES", "LOCAL_CACHE_MAX_BYTES"):
        for bad in (0, -5, 1.5, "100", True):
            assert _only(settings, **good, **{name: bad}) == ["wxlogin.E031"], (name, bad)
    for bad in (0, -1, "1", None, False):
        assert _only(settings, **good, LOCAL_CACHE_HEARTBEAT=bad) == ["wxlogin.E032"], bad
# Read replicas and Redis Cluster.

def test_primary_database_must_name_a_database(settings, good):
    assert _only(settings, **good, PRIMARY_DATABASE="default") == []
    assert _only(settings, **good, PRIMARY_DATABASE="primary") == ["wxlogin.E021"]


def test_braces_in_the_key_prefix_of_a_cluster_cache_are_refused(settings, good):
    cluster = {**settings.CACHES["default"], "OPTIONS": {
        "CLIENT_CLASS": "django_wxlogin.cache_clients.RedisClusterClient"}}
    settings.CACHES = {"default": cluster}
    assert _only(settings, **good) == []
    assert _only(settings, **good, CACHE_KEY_PREFIX="wx{app}") == ["wxlogin.E022"]
    settings.CACHES = {"default": {**cluster, "KEY_PREFIX": "shop{1"}}
    assert _only(settings, **good) == ["wxlogin.E022"]
    settings.CACHES = {"default": {**settings.CACHES["default"], "OPTIONS": {}}}
    assert _only(settings, **good) == []
