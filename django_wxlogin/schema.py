"""OpenAPI 3 support through drf-spectacular, an optional extra (``django-wxlogin[openapi]``).

Without drf-spectacular installed, ``extend_schema`` is a no-op, so the views carry their
schema annotations at no cost.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

try:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
except ImportError:  # the extra is not installed
    OpenApiAuthenticationExtension = None
    OpenApiParameter = None
    OpenApiResponse = None
    OpenApiTypes = None

    def extend_schema(*args: Any, **kwargs: Any):  # type: ignore[no-redef]
        return lambda view: view


class ErrorSerializer(serializers.Serializer):
    """Every error body: a stable machine code and a human (translated) message."""

    code = serializers.CharField(help_text="Stable machine code, e.g. session_expired.")
    detail = serializers.CharField(help_text="Human-readable message in the request's language.")
    errors = serializers.DictField(
        required=False, help_text="Per-field messages, on validation errors only."
    )


ERROR_DESCRIPTIONS = {
    400: "Bad input (invalid_request, parse_error) or a WeChat refusal (invalid_code).",
    401: "No, a bad, an expired or a revoked token (not_authenticated, invalid_token, "
         "session_expired, user_inactive).",
    403: "Refused (user_blocked).",
    404: "Not found (not_found, unknown_app, no_wechat_identity).",
    405: "Method not allowed.",
    409: "Conflict (duplicate_code).",
    413: "Request body too large.",
    415: "Unsupported media type.",
    429: "Throttled, or WeChat's rate limit (throttled, wechat_rate_limited); see Retry-After.",
    500: "The server's WeChat settings are wrong (wechat_misconfigured).",
    503: "WeChat or the database is unavailable (wechat_unavailable, service_unavailable); "
         "see Retry-After.",
}


def errors(*statuses: int) -> dict[int, Any]:
    """``extend_schema(responses=...)`` entries for error statuses, all shaped like
    :class:`ErrorSerializer`."""
    if OpenApiResponse is None:
        return {}
    return {s: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[s])
            for s in statuses}


def path_integer(name: str, description: str) -> list[Any]:
    """An integer path parameter (the route takes any segment, to answer 404 in JSON)."""
    if OpenApiParameter is None:
        return []
    return [OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH,
                             description=description)]


def free_form(description: str) -> Any:
    """A response that is any JSON object."""
    if OpenApiResponse is None:
        return None
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


if OpenApiAuthenticationExtension is not None:

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
