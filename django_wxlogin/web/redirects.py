"""Where a web login or logout may send the browser: never an open redirect.

``next`` must be a path on this site or a URL on one of ``WEB_REDIRECT_HOSTS`` (over https when
the request came over https); anything else (another host, ``//evil``, ``javascript:``, a
backslash trick) is replaced by ``WEB_LOGIN_REDIRECT``. Django's own
``url_has_allowed_host_and_scheme`` decides, as for its login view.
"""

from __future__ import annotations

from typing import Any

from django.utils.http import url_has_allowed_host_and_scheme

from ..settings import wxlogin_settings

MAX_NEXT_LENGTH = 1024


def is_safe(request: Any, target: str) -> bool:
    hosts = {request.get_host(), *map(str, wxlogin_settings.WEB_REDIRECT_HOSTS)}
    return bool(target) and len(target) <= MAX_NEXT_LENGTH and url_has_allowed_host_and_scheme(
        target, allowed_hosts=hosts, require_https=request.is_secure())


def safe_next(request: Any, target: str | None) -> str:
    """``target`` if it is safe, else ``WEB_LOGIN_REDIRECT``."""
    if target and is_safe(request, target):
        return target
    return str(wxlogin_settings.WEB_LOGIN_REDIRECT)
