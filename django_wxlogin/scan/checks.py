"""System checks of scan login (``wxlogin.E08n``, ``wxlogin.W08n``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from ..settings import wxlogin_settings
from ..throttling import parse_rate

ENV_VERSIONS = ("release", "trial", "develop")
DELIVERIES = ("cookie", "exchange_code")
LONG_TTL = 300  # seconds: a code that lives longer is a code that travels


@register(Tags.security, Tags.compatibility)
def check_scan(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    env_version = wxlogin_settings.SCAN_ENV_VERSION
    if env_version not in ENV_VERSIONS:
        messages.append(Error(f"WXLOGIN['SCAN_ENV_VERSION'] is {env_version!r}.",
                              hint="One of release, trial, develop.", id="wxlogin.E080"))
    elif env_version != "release" and not settings.DEBUG:
        messages.append(Error(
            f"WXLOGIN['SCAN_ENV_VERSION'] is {env_version!r} with DEBUG off: the codes would "
            "open a version of the mini program that is not released.",
            hint='Use "release" in production.', id="wxlogin.E081"))
    ttl = wxlogin_settings.SCAN_TTL
    if not isinstance(ttl, int | float | timedelta) or isinstance(ttl, bool) \
            or wxlogin_settings.scan_ttl_seconds <= 0:
        messages.append(Error(f"WXLOGIN['SCAN_TTL'] is not a positive duration: {ttl!r}.",
                              hint="Seconds (default 120).", id="wxlogin.E082"))
    elif wxlogin_settings.scan_ttl_seconds > LONG_TTL:
        messages.append(Warning(
            "WXLOGIN['SCAN_TTL'] is over five minutes: a code shown that long is more easily "
            "photographed and forwarded.", hint="Keep it at 120 seconds or less.",
            id="wxlogin.W080"))
    page = wxlogin_settings.SCAN_PAGE
    if not isinstance(page, str) or not page or page.startswith("/") or "?" in page:
        messages.append(Error(f"WXLOGIN['SCAN_PAGE'] is not a mini-program page: {page!r}.",
                              hint='A path such as "pages/scan/confirm": no leading "/", no '
                                   "query.", id="wxlogin.E083"))
    if wxlogin_settings.SCAN_DELIVERY not in DELIVERIES:
        messages.append(Error(
            f"WXLOGIN['SCAN_DELIVERY'] is {wxlogin_settings.SCAN_DELIVERY!r}.",
            hint='"cookie" or "exchange_code".', id="wxlogin.E084"))
    rate = wxlogin_settings.SCAN_RATE
    try:
        parse_rate(rate)
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        if rate is not None:
            messages.append(Error(f"WXLOGIN['SCAN_RATE'] is not a rate: {rate!r}.",
                                  hint='"<count>/<period>" (s, min, h, day), or None.',
                                  id="wxlogin.E085"))
    if wxlogin_settings.SCAN_ALLOW_FORWARDED:
        messages.append(Warning(
            "WXLOGIN['SCAN_ALLOW_FORWARDED'] lets codes opened from a picture in a chat be "
            "confirmed: the way a phisher gets a victim to log the phisher in.",
            hint="Leave it False unless your users must log in from screenshots.",
            id="wxlogin.W081"))
    return messages
