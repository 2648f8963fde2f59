"""System checks (``manage.py check``) with stable ids: ``wxlogin.E00n`` errors and
``wxlogin.W00n`` warnings."""

from __future__ import annotations

import importlib.util
import re
import sys
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .cache import PER_PROCESS_CACHES
from .sessions import checks as session_checks  # noqa: F401  (registers wxlogin.W026)
from .settings import APP_KEYS, DEFAULTS, wxlogin_settings
from .wechat.client import is_loopback_url

RATE_SETTINGS = ("LOGIN_RATE", "PASSWORD_RATE", "ACCOUNT_RATE", "PHONE_RATE", "AVATAR_RATE",
                 "CONTENT_CHECK_RATE")
ACCESS_TOKEN_ENDPOINTS = ("stable", "classic")
CLUSTER_CLIENT = "django_wxlogin.cache_clients.RedisClusterClient"
_APP_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a URL segment: login/<app>/
RESERVED_APP_NAME = "password"  # login/password/ is the password login


def _check_single_app() -> list[Any]:
    messages: list[Any] = []
    if not wxlogin_settings.APPID:
        messages.append(Error("WXLOGIN['APPID'] is not set.",
                              hint="Copy the AppID from the mini program's admin console.",
                              id="wxlogin.E001"))
    if not wxlogin_settings.SECRET:
        messages.append(Error("WXLOGIN['SECRET'] is not set.",
                              hint="Read the AppSecret from the environment, never from code.",
                              id="wxlogin.E002"))
    return messages


def _check_apps(apps: Any, user: dict[str, Any]) -> list[Any]:
    if not isinstance(apps, list | tuple) or not all(isinstance(a, dict) for a in apps):
        return [Error("WXLOGIN['APPS'] must be a list of dicts.",
                      hint='e.g. [{"APPID": "wx...", "SECRET": ..., "NAME": "shop"}]',
                      id="wxlogin.E007")]
    messages: list[Any] = []
    if user.get("APPID") or user.get("SECRET"):
        messages.append(Error("WXLOGIN sets both APPS and APPID/SECRET.",
                              hint="List every mini program in APPS and drop APPID and SECRET.",
                              id="wxlogin.E011"))
    for index, app in enumerate(apps):
        label = f"WXLOGIN['APPS'][{index}]"
        unknown = sorted(map(str, set(app) - set(APP_KEYS)))
        if unknown:
            messages.append(Error(f"{label} has unknown keys: {', '.join(unknown)}.",
                                  hint=f"Known keys: {', '.join(APP_KEYS)}.", id="wxlogin.E012"))
        if not isinstance(app.get("APPID"), str) or not app["APPID"]:
            messages.append(Error(f"{label} has no APPID.", id="wxlogin.E007"))
        if not isinstance(app.get("SECRET"), str) or not app["SECRET"]:
            messages.append(Error(f"{label} has no SECRET.",
                                  hint="Read the AppSecret from the environment, never from code.",
                                  id="wxlogin.E008"))
        name = app.get("NAME", "")
        if name != "" and not (isinstance(name, str) and _APP_NAME.fullmatch(name)):
            messages.append(Error(f"{label} has an invalid NAME.",
                                  hint="Letters, digits, '-' and '_' (it goes in login/<app>/).",
                                  id="wxlogin.E010"))
        if name == RESERVED_APP_NAME:
            messages.append(Error(f"{label} is named {name!r}: login/{name}/ is the password "
                                  "login, not this app's.", hint="Give the app another NAME.",
                                  id="wxlogin.E016"))
    # Each APPID and NAME must lead to exactly one app (login/<app>/ takes either).
    owners: dict[str, set[int]] = {}
    for index, app in enumerate(apps):
        for ref in {v for v in (app.get("APPID"), app.get("NAME")) if isinstance(v, str) and v}:
            owners.setdefault(ref, set()).add(index)
    for ref, indexes in owners.items():
        if len(indexes) < 2:
            continue
        if sum(a.get("APPID") == ref for a in apps) > 1:
            messages.append(Error(f"WXLOGIN['APPS'] lists appid {ref} more than once.",
                                  id="wxlogin.E009"))
        else:
            messages.append(Error(f"WXLOGIN['APPS']: {ref!r} names more than one app.",
                                  hint="Give each app its own NAME, different from every appid.",
                                  id="wxlogin.E010"))
    return messages


def _check_access_token() -> list[Any]:
    messages: list[Any] = []
    if wxlogin_settings.ACCESS_TOKEN_ENDPOINT not in ACCESS_TOKEN_ENDPOINTS:
        messages.append(Error("WXLOGIN['ACCESS_TOKEN_ENDPOINT'] must be \"stable\" or "
                              "\"classic\".", id="wxlogin.E013"))
    margin = wxlogin_settings.ACCESS_TOKEN_MARGIN
    if isinstance(margin, bool) or not isinstance(margin, int | float) \
            or not 0 <= margin <= 3600:
        messages.append(Error("WXLOGIN['ACCESS_TOKEN_MARGIN'] must be 0 to 3600 seconds.",
                              hint="WeChat's tokens live 7200 seconds.", id="wxlogin.E014"))
    return messages


@register(Tags.security, Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    user = wxlogin_settings.user_settings
    if not isinstance(user, dict):
        return [Error("WXLOGIN must be a dict.", id="wxlogin.E000")]
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        messages.append(Error(
            f"Unknown WXLOGIN settings: {', '.join(unknown)}.",
            hint=f"Known settings: {', '.join(sorted(DEFAULTS))}.", id="wxlogin.E006",
        ))
    apps = user.get("APPS")
    messages += _check_apps(apps, user) if apps else _check_single_app()
    messages += _check_access_token()
    alias = wxlogin_settings.CACHE_ALIAS
    caches = getattr(settings, "CACHES", {})
    if alias not in caches:
        messages.append(Error(f"WXLOGIN['CACHE_ALIAS'] names no cache: {alias!r}.",
                              hint="Add it to CACHES (a django-redis cache).", id="wxlogin.E003"))
    elif caches[alias].get("BACKEND") in PER_PROCESS_CACHES and not settings.DEBUG:
        messages.append(Warning(
            f"The session cache {alias!r} is per process ({caches[alias]['BACKEND']}).",
            hint="Use django_redis.cache.RedisCache, so that every worker sees a logout.",
            id="wxlogin.W001",
        ))
    try:
        ttl = wxlogin_settings.token_ttl_seconds
        idle = wxlogin_settings.idle_timeout_seconds
    except (TypeError, ValueError):
        messages.append(Error("WXLOGIN TOKEN_TTL and IDLE_TIMEOUT take seconds or a timedelta.",
                              id="wxlogin.E004"))
    else:
        if ttl <= 0:
            messages.append(Error("WXLOGIN['TOKEN_TTL'] must be positive.", id="wxlogin.E004"))
        if idle is not None and idle <= wxlogin_settings.LAST_SEEN_INTERVAL:
            messages.append(Warning(
                "WXLOGIN['IDLE_TIMEOUT'] is not longer than LAST_SEEN_INTERVAL.",
                hint="Active users would be logged out: make the interval a fraction of it.",
                id="wxlogin.W002",
            ))
    if not str(wxlogin_settings.API_BASE_URL).startswith(("https://", "http://")):
        messages.append(Error("WXLOGIN['API_BASE_URL'] must be an http(s) URL.",
                              id="wxlogin.E005"))
    elif wxlogin_settings.api_base_url.startswith("http://") and not settings.DEBUG \
            and not is_loopback_url(wxlogin_settings.api_base_url):
        messages.append(Warning("WXLOGIN['API_BASE_URL'] is plain http: the appsecret travels "
                                "unencrypted.", id="wxlogin.W003"))
    messages.extend(_check_fake_wechat())
    retry_after = wxlogin_settings.CACHE_RETRY_AFTER
    if isinstance(retry_after, bool) or not isinstance(retry_after, int | float) \
            or retry_after < 0:
        messages.append(Error("WXLOGIN['CACHE_RETRY_AFTER'] must be a number of seconds >= 0.",
                              id="wxlogin.E020"))
    sync = wxlogin_settings.REVOCATION_SYNC_INTERVAL
    if isinstance(sync, bool) or not isinstance(sync, int | float) or not 0 < sync <= 300:
        messages.append(Error(
            "WXLOGIN['REVOCATION_SYNC_INTERVAL'] must be a number of seconds, above 0 and at "
            "most 300.", hint="A few seconds: the longest a revocation made without Redis may "
            "take to reach every server.", id="wxlogin.E025"))
    messages.extend(_check_rates())
    messages.extend(_check_local_cache())
    messages.extend(_check_scale(caches.get(alias, {})))
    messages.extend(_check_openapi())
    messages.extend(_check_accounts())
    return messages


FAKE_WECHAT_MODULES = ("django_wxlogin.fake_wechat", "django_wxlogin.wechat.fake")


def _is_fake_wechat(url: str) -> bool:
    """Whether ``url`` is that of a fake WeChat serving in this process, on whatever address
    (without importing the fake when nothing did)."""
    return any(url.rstrip("/") in getattr(getattr(sys.modules.get(name), "FakeWeChat", None),
                                          "serving", ())
               for name in FAKE_WECHAT_MODULES)


def _check_fake_wechat() -> list[Any]:
    """A deploy (DEBUG off) that talks to a fake WeChat lets anyone log in as anyone."""
    if settings.DEBUG:
        return []
    url = str(wxlogin_settings.API_BASE_URL)
    if not (is_loopback_url(url) or _is_fake_wechat(url)):
        return []
    return [Error(
        "DEBUG is off and WeChat is the fake (or API_BASE_URL is on loopback): anyone could log "
        "in as anyone.",
        hint="Remove API_BASE_URL (the real WeChat is the default) and do not start the fake "
             "WeChat in production. A test or load-test setup on loopback may add "
             "\"wxlogin.E023\" to SILENCED_SYSTEM_CHECKS.",
        id="wxlogin.E023")]


def _check_scale(cache: dict[str, Any]) -> list[Any]:
    """Read replicas and Redis Cluster: the primary exists, and the session keys' hash tags
    (``{<user>}``) are the only braces in their names."""
    messages: list[Any] = []
    alias = wxlogin_settings.PRIMARY_DATABASE
    if alias is not None and alias not in settings.DATABASES:
        messages.append(Error(
            f"WXLOGIN['PRIMARY_DATABASE'] names no database: {alias!r}.",
            hint="The alias of the primary in DATABASES, or None for the router's write "
                 "database.", id="wxlogin.E021"))
    prefixes = f"{cache.get('KEY_PREFIX', '')}{wxlogin_settings.CACHE_KEY_PREFIX}"
    if cache.get("OPTIONS", {}).get("CLIENT_CLASS") == CLUSTER_CLIENT and \
            ("{" in prefixes or "}" in prefixes):
        messages.append(Error(
            "The session cache is a Redis Cluster and its key prefix (CACHES KEY_PREFIX or "
            "WXLOGIN CACHE_KEY_PREFIX) has a brace: the keys of one user would not share a "
            "slot.", hint="Drop the braces from the prefixes.", id="wxlogin.E022"))
    return messages


def _check_accounts() -> list[Any]:
    messages: list[Any] = []
    try:
        ticket_ttl = wxlogin_settings.bind_ticket_ttl_seconds
    except (TypeError, ValueError):
        ticket_ttl = 0
    if ticket_ttl <= 0:
        messages.append(Error("WXLOGIN['BIND_TICKET_TTL'] must be a positive duration.",
                              hint="Seconds or a timedelta, e.g. 600.", id="wxlogin.E017"))
    if wxlogin_settings.REQUIRE_ACCOUNT and not wxlogin_settings.PASSWORD_LOGIN:
        messages.append(Error(
            "WXLOGIN['REQUIRE_ACCOUNT'] is on but PASSWORD_LOGIN is off.",
            hint="Bind tickets are redeemed at bind/, which PASSWORD_LOGIN turns on: without "
                 "it, no new WeChat user could ever get in.", id="wxlogin.E018"))
    if wxlogin_settings.PASSWORD_LOGIN and not settings.DEBUG and (
            wxlogin_settings.PASSWORD_RATE is None or wxlogin_settings.ACCOUNT_RATE is None):
        messages.append(Warning(
            "WXLOGIN['PASSWORD_LOGIN'] is on and PASSWORD_RATE or ACCOUNT_RATE is None: password "
            "guesses are not throttled.", hint='Set PASSWORD_RATE (e.g. "30/min") and '
            'ACCOUNT_RATE (e.g. "5/min").', id="wxlogin.W004"))
    prefix = wxlogin_settings.THROTTLE_IPV6_PREFIX
    if isinstance(prefix, bool) or not isinstance(prefix, int) or not 1 <= prefix <= 128:
        messages.append(Error("WXLOGIN['THROTTLE_IPV6_PREFIX'] must be 1 to 128 bits.",
                              hint="64: one subscriber's network.", id="wxlogin.E024"))
    return messages


def _positive(value: Any, *, whole: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
        return False
    return value > 0


def _check_local_cache() -> list[Any]:
    """The in-process layer of the session cache (``sessions/local.py``)."""
    messages: list[Any] = []
    if not isinstance(wxlogin_settings.LOCAL_CACHE, bool):
        messages.append(Error("WXLOGIN['LOCAL_CACHE'] must be True or False.", id="wxlogin.E030"))
    for name, example in (("LOCAL_CACHE_MAX_ENTRIES", "50000"),
                          ("LOCAL_CACHE_MAX_BYTES", "16 * 1024 * 1024")):
        if not _positive(wxlogin_settings.get(name), whole=True):
            messages.append(Error(f"WXLOGIN[{name!r}] must be a positive integer.",
                                  hint=f"e.g. {example}; turn the layer off with LOCAL_CACHE.",
                                  id="wxlogin.E031"))
    if not _positive(wxlogin_settings.LOCAL_CACHE_HEARTBEAT, whole=False):
        messages.append(Error("WXLOGIN['LOCAL_CACHE_HEARTBEAT'] must be a positive number of "
                              "seconds.", hint="Keep it below Sentinel's down-after-milliseconds.",
                              id="wxlogin.E032"))
    return messages


def _check_openapi() -> list[Any]:
    """The optional OpenAPI extra: installed when configured, and actually used when installed."""
    schema_class = str(getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_SCHEMA_CLASS", ""))
    wanted = "drf_spectacular" in settings.INSTALLED_APPS or schema_class.startswith(
        "drf_spectacular")
    if not wanted:
        return []
    if importlib.util.find_spec("drf_spectacular") is None:
        return [Error("drf-spectacular is configured but not installed.",
                      hint='pip install "django-wxlogin[openapi]"', id="wxlogin.E019")]
    if not schema_class.startswith("drf_spectacular"):
        return [Warning(
            "drf_spectacular is installed but REST_FRAMEWORK['DEFAULT_SCHEMA_CLASS'] is not its "
            "AutoSchema: the schema would miss the package's annotations.",
            hint='Set it to "drf_spectacular.openapi.AutoSchema".', id="wxlogin.W009")]
    return []


def _check_rates() -> list[Any]:
    from rest_framework.throttling import SimpleRateThrottle

    messages = []
    for name in RATE_SETTINGS:
        rate = wxlogin_settings.get(name)
        try:
            SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
        except (AttributeError, KeyError, IndexError, TypeError, ValueError):
            messages.append(Error(
                f"WXLOGIN[{name!r}] is not a rate: {rate!r}.",
                hint='Use "<count>/<period>" with a period of s, min, h or day, or None.',
                id="wxlogin.E015",
            ))
    return messages
