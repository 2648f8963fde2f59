"""System checks (``manage.py check``) with stable ids: ``wxlogin.E00n`` errors and
``wxlogin.W00n`` warnings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .settings import DEFAULTS, wxlogin_settings

RATE_SETTINGS = ("LOGIN_RATE",)
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)


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
    if not wxlogin_settings.APPID:
        messages.append(Error("WXLOGIN['APPID'] is not set.",
                              hint="Copy the AppID from the mini program's admin console.",
                              id="wxlogin.E001"))
    if not wxlogin_settings.SECRET:
        messages.append(Error("WXLOGIN['SECRET'] is not set.",
                              hint="Read the AppSecret from the environment, never from code.",
                              id="wxlogin.E002"))
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
            and not wxlogin_settings.api_base_url.startswith(("http://127.", "http://localhost")):
        messages.append(Warning("WXLOGIN['API_BASE_URL'] is plain http: the appsecret travels "
                                "unencrypted.", id="wxlogin.W003"))
    messages.extend(_check_rates())
    return messages


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
                id="wxlogin.E007",
            ))
    return messages
