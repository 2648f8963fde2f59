"""OpenAPI 3 support through drf-spectacular, an optional extra (``django-wxlogin[openapi]``).

Without drf-spectacular installed, ``extend_schema`` is a no-op, so the views carry their
schema annotations at no cost.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any, TypeVar

from rest_framework import serializers

HAS_SPECTACULAR = importlib.util.find_spec("drf_spectacular") is not None
View = TypeVar("View", bound=Callable[..., Any])


def extend_schema(**kwargs: Any) -> Callable[[View], View]:
    """drf-spectacular's ``extend_schema``, or a no-op without the extra."""
    if not HAS_SPECTACULAR:
        return lambda view: view
    from drf_spectacular.utils import extend_schema as spectacular_extend_schema

    return spectacular_extend_schema(**kwargs)


class ErrorSerializer(serializers.Serializer):
    """Every error body: a stable machine code and a human (translated) message."""

    code = serializers.CharField(help_text="Stable machine code, e.g. session_expired.")
    detail = serializers.CharField(help_text="Human-readable message in the request's language.")
    # Named as the bodies name it; this serializer only describes them, so hiding
    # Serializer.errors is harmless.
    errors = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="Per-field messages, on validation errors only."
    )
    bind_ticket = serializers.CharField(
        required=False, help_text="With account_required only: redeem it at bind/ with an "
                                  "account's username and password."
    )
    expires_in = serializers.IntegerField(
        required=False, help_text="With account_required only: seconds the bind ticket lives."
    )


ERROR_DESCRIPTIONS = {
    400: "Bad input (invalid_request, parse_error, unknown_app), a WeChat refusal "
         "(invalid_code), wrong credentials (invalid_credentials) or an unusable bind ticket "
         "(invalid_bind_ticket).",
    401: "No, a bad, an expired or a revoked token (not_authenticated, invalid_token, "
         "session_expired, user_inactive).",
    403: "Refused (user_blocked, user_inactive, or account_required with a bind_ticket).",
    404: "Not found (not_found, unknown_app, no_wechat_identity).",
    405: "Method not allowed.",
    409: "Conflict (duplicate_code, already_bound, merge_refused, last_login_method).",
    410: "Gone (scan_expired).",
    413: "Request body too large.",
    415: "Unsupported media type.",
    429: "Throttled, or WeChat's rate limit (throttled, wechat_rate_limited); see Retry-After.",
    500: "The server's WeChat settings are wrong (wechat_misconfigured).",
    502: "WeChat refused a mini-program code's scene (scan_invalid_scene).",
    503: "WeChat or the database is unavailable (wechat_unavailable, service_unavailable); "
         "see Retry-After.",
}


def errors(*statuses: int) -> dict[int, Any]:
    """``extend_schema(responses=...)`` entries for error statuses, all shaped like
    :class:`ErrorSerializer`."""
    if not HAS_SPECTACULAR:
        return {}
    from drf_spectacular.utils import OpenApiResponse

    return {s: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[s])
            for s in statuses}


def path_integer(name: str, description: str) -> list[Any]:
    """An integer path parameter (the route takes any segment, to answer 404 in JSON)."""
    if not HAS_SPECTACULAR:
        return []
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    return [OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH,
                             description=description)]


def query_string(name: str, description: str, enum: list[str] | None = None) -> list[Any]:
    """An optional query string parameter."""
    if not HAS_SPECTACULAR:
        return []
    from drf_spectacular.utils import OpenApiParameter

    return [OpenApiParameter(name, str, OpenApiParameter.QUERY, description=description,
                             enum=enum)]


def free_form(description: str) -> Any:
    """A response that is any JSON object."""
    if not HAS_SPECTACULAR:
        return None
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiResponse

    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


if HAS_SPECTACULAR:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    class WxTokenScheme(OpenApiAuthenticationExtension):
        """Describes ``WxTokenAuthentication`` as HTTP bearer auth."""

        target_class = "django_wxlogin.authentication.WxTokenAuthentication"
        name = "WxToken"

        def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
            from .settings import wxlogin_settings

            return {
                "type": "http",
                "scheme": wxlogin_settings.AUTH_HEADER_KEYWORD.lower(),
                "description": "The token from POST login/, as "
                               "`Authorization: Bearer <token>`.",
            }

    class WxCookieScheme(OpenApiAuthenticationExtension):
        """Describes ``WxCookieAuthentication``: the web login's session cookie."""

        target_class = "django_wxlogin.web.authentication.WxCookieAuthentication"
        name = "WxCookie"

        def get_security_requirement(self, auto_schema: Any) -> Any:
            """Declared where the cookie is the way in (``web/logout/``); the token
            endpoints, which also take it from same-site pages, document the token."""
            from .authentication import WxTokenAuthentication

            classes = auto_schema.view.get_authenticators()
            if any(isinstance(c, WxTokenAuthentication) for c in classes):
                return None
            return super().get_security_requirement(auto_schema)

        def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
            from .settings import wxlogin_settings

            return {"type": "apiKey", "in": "cookie", "name": wxlogin_settings.WEB_COOKIE_NAME,
                    "description": "The HttpOnly session cookie web login sets; unsafe methods "
                                   "need Django's CSRF token."}
