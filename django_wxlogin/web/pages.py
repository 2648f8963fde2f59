"""Web login's error pages: a short page in the visitor's language (zh or en, from Django's
``LocaleMiddleware``) for browsers (which ask for ``text/html``), and the JSON body of every
other error for any other client."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

# What a browser is told where the API's wording speaks of the mini program.
WEB_DETAILS = {
    "invalid_code": gettext_lazy("WeChat's login code is invalid, expired or already used; "
                                 "log in again."),
}

_PAGE = ('<!doctype html><html lang="{}"><head><meta charset="utf-8">'
         '<meta name="viewport" content="width=device-width, initial-scale=1">'
         '<title>{}</title></head><body><main><h1>{}</h1>'
         '<p class="wxlogin-error" data-code="{}">{}</p>'
         '<p><a href="{}">{}</a></p></main></body></html>')


def wants_page(request: Any) -> bool:
    """A browser navigating (it asks for text/html), not a script or tool."""
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


def error_page(status: int, code: str, detail: str, retry: str) -> HttpResponse:
    """The page of a failed web login, with a link to start again."""
    title = _("WeChat login failed")
    detail = str(WEB_DETAILS.get(code, detail))
    body = format_html(_PAGE, get_language() or "en", title, title, code, detail, retry,
                       _("Try again"))
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
