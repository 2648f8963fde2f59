"""System checks of web and app login: the kinds of apps, the open platform's URL, the web
session's cookie and redirects (ids ``wxlogin.E040``-``E049``, ``wxlogin.W040``-``W049``)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from ..settings import KINDS, OFFICIAL_ACCOUNT, OFFICIAL_ACCOUNT_SCOPES, WEB_KINDS, wxlogin_settings
from ..wechat.client import is_loopback_url

_COOKIE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MIDDLEWARE = "django_wxlogin.web.middleware.WxSessionMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def _check_kinds(apps: Any) -> list[Any]:
    if not isinstance(apps, list | tuple):
        return []  # wxlogin.E007 says so
    messages: list[Any] = []
    for index, app in enumerate(a for a in apps if isinstance(a, dict)):
        label = f"WXLOGIN['APPS'][{index}]"
        kind = app.get("KIND", "miniprogram")
        if kind not in KINDS:
            messages.append(Error(f"{label} has an unknown KIND: {kind!r}.",
                                  hint=f"One of: {', '.join(KINDS)}.", id="wxlogin.E040"))
        scope = app.get("SCOPE")
        if scope is not None and (kind != OFFICIAL_ACCOUNT
                                  or scope not in OFFICIAL_ACCOUNT_SCOPES):
            messages.append(Error(
                f"{label} has SCOPE {scope!r}: only an official_account app takes one.",
                hint=f"One of: {', '.join(OFFICIAL_ACCOUNT_SCOPES)}.", id="wxlogin.E041"))
        if kind in WEB_KINDS and not app.get("NAME"):
            messages.append(Warning(
                f"{label} ({kind}) has no NAME: its web login URLs carry the appid.",
                hint="Give it a NAME, e.g. \"oa\": web/oa/login/.", id="wxlogin.W040"))
    return messages


def _check_open_base_url() -> list[Any]:
    url = str(wxlogin_settings.OPEN_BASE_URL)
    if not url.startswith(("https://", "http://")):
        return [Error("WXLOGIN['OPEN_BASE_URL'] must be an http(s) URL.", id="wxlogin.E042")]
    if url.startswith("http://") and not is_loopback_url(url) and not settings.DEBUG:
        return [Warning("WXLOGIN['OPEN_BASE_URL'] is plain http: browsers would be sent to "
                        "WeChat's login pages unencrypted.", id="wxlogin.W041")]
    return []


def _check_web_settings() -> list[Any]:
    messages: list[Any] = []
    name = wxlogin_settings.WEB_COOKIE_NAME
    if not isinstance(name, str) or not _COOKIE_NAME.fullmatch(name) or name in (
            settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "wxlogin_state"):
        messages.append(Error(
            "WXLOGIN['WEB_COOKIE_NAME'] must be a cookie name of its own.",
            hint="Letters, digits, _ . -; not Django's session or CSRF cookie.",
            id="wxlogin.E043"))
    ttl = wxlogin_settings.EXCHANGE_CODE_TTL
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= 60:
        messages.append(Error("WXLOGIN['EXCHANGE_CODE_TTL'] must be 1 to 60 seconds.",
                              id="wxlogin.E044"))
    state_ttl = wxlogin_settings.WEB_STATE_TTL
    seconds = state_ttl.total_seconds() if hasattr(state_ttl, "total_seconds") else state_ttl
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
            or not 60 <= seconds <= 3600:
        messages.append(Error("WXLOGIN['WEB_STATE_TTL'] must be 60 to 3600 seconds.",
                              hint="WeChat's codes live 5 minutes; 600 leaves time to scan.",
                              id="wxlogin.E045"))
    hosts = wxlogin_settings.WEB_REDIRECT_HOSTS
    if not isinstance(hosts, list | tuple) or not all(isinstance(h, str) and h for h in hosts):
        messages.append(Error("WXLOGIN['WEB_REDIRECT_HOSTS'] must be a list of host names.",
                              id="wxlogin.E046"))
    target = wxlogin_settings.WEB_LOGIN_REDIRECT
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        messages.append(Error("WXLOGIN['WEB_LOGIN_REDIRECT'] must be a path on this site.",
                              hint='e.g. "/"', id="wxlogin.E047"))
    return messages


def _check_middleware() -> list[Any]:
    middleware = list(getattr(settings, "MIDDLEWARE", []) or [])
    if MIDDLEWARE in middleware and AUTH_MIDDLEWARE in middleware \
            and middleware.index(MIDDLEWARE) < middleware.index(AUTH_MIDDLEWARE):
        return [Warning("WxSessionMiddleware comes before AuthenticationMiddleware, which "
                        "replaces the request.user it sets.",
                        hint="List it after django.contrib.auth's AuthenticationMiddleware.",
                        id="wxlogin.W042")]
    return []


@register(Tags.security, Tags.compatibility)
def check_web(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    user = wxlogin_settings.user_settings
    if not isinstance(user, dict):
        return []  # wxlogin.E000
    return [*_check_kinds(user.get("APPS") or []), *_check_open_base_url(),
            *_check_web_settings(), *_check_middleware()]
