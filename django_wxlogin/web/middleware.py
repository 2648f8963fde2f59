"""``request.user`` from the session cookie, for server-rendered pages.

Put it after Django's ``AuthenticationMiddleware``: a request whose cookie holds a live session
gets that session's user (``session_of(request)`` gives its ``WxSession``); any other keeps the
user Django's middleware gave it (anonymous without a Django session). The session is looked
up lazily, on first use of ``request.user``. Forms that change state still need Django's
``CsrfViewMiddleware`` (and ``{% csrf_token %}``), as with Django's own sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject
from rest_framework.exceptions import AuthenticationFailed

from ..sessions import store
from .authentication import cookie_token


def session_of(request: Any) -> tuple[Any, Any] | None:
    """(user, session) of the request's cookie, or None (no cookie, or a dead session)."""
    try:
        token = cookie_token(request)
        return None if token is None else store.authenticate(token)
    except AuthenticationFailed:
        return None


class WxSessionMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        fallback = getattr(request, "user", None)
        found: list[tuple[Any, Any] | None] = []

        def lookup() -> tuple[Any, Any] | None:
            if not found:
                found.append(session_of(request))
            return found[0]

        def user() -> Any:
            result = lookup()
            if result is not None:
                return result[0]
            return fallback if fallback is not None else AnonymousUser()

        request.user = SimpleLazyObject(user)
        return self.get_response(request)
