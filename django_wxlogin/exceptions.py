"""Every error the package raises, each with a stable machine ``code`` for clients.

WeChat's failures are mapped onto a few typed errors here; ``exception_handler`` renders any
DRF error as ``{"code": ..., "detail": ...}``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger("django_wxlogin")


class WeChatError(exceptions.APIException):
    """WeChat refused or failed a call. ``errcode`` is WeChat's own number, when it gave one."""

    def __init__(self, detail: Any = None, errcode: int | None = None) -> None:
        super().__init__(detail)
        self.errcode = errcode


class InvalidCode(WeChatError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_code"
    default_detail = _("The login code is invalid, expired or already used; call wx.login again.")


class WeChatRateLimited(WeChatError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "wechat_rate_limited"
    default_detail = _("Too many requests to WeChat; try again in a minute.")
    retry_after = 60


class UserBlocked(WeChatError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "user_blocked"
    default_detail = _("WeChat has blocked this user from logging in.")


class WeChatUnavailable(WeChatError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "wechat_unavailable"
    default_detail = _("WeChat is not answering right now; try again shortly.")
    retry_after = 5


class WeChatMisconfigured(WeChatError):
    """The appid or appsecret is wrong or missing: an operator must fix the settings."""

    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_code = "wechat_misconfigured"
    default_detail = _("The server's WeChat settings are wrong; please contact the operator.")


class ServiceUnavailable(exceptions.APIException):
    """The database is unreachable: a login or logout cannot be recorded right now."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = _("The service is briefly unavailable; try again shortly.")
    retry_after = 5


class UnknownApp(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unknown_app"
    default_detail = _("No mini program of that name or appid is configured here.")


class DecryptionFailed(exceptions.APIException):
    """One answer for every way decryption can fail, so that no failure tells which step broke
    (no padding oracle). The usual cause is a session_key replaced by a later ``wx.login``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "decrypt_failed"
    default_detail = _("The data could not be decrypted: call wx.login, log in again, then get "
                       "the data anew and retry.")


class NoPhoneNumber(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "no_phone_number"
    default_detail = _("The decrypted data holds no phone number.")


class InvalidSignature(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_signature"
    default_detail = _("The signature does not match: call wx.login, log in again and retry.")


class InvalidPhoneCode(InvalidCode):
    default_detail = _("The phone number code is invalid, expired or already used; ask the user "
                       "again with getPhoneNumber.")


class InvalidCredentials(exceptions.APIException):
    """Unknown username and wrong password alike: the answer never tells which."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_credentials"
    default_detail = _("The username or password is wrong.")


class AccountDisabled(exceptions.PermissionDenied):
    """A way in (WeChat code, unionid join, password, binding, bind ticket) for a deactivated
    user. (Django's ModelBackend answers a password login of one ``InvalidCredentials``.)"""

    default_code = "user_inactive"
    default_detail = _("This account is disabled.")


class AccountRequired(exceptions.PermissionDenied):
    """A first WeChat login under ``REQUIRE_ACCOUNT``: no user is created. The body carries a
    bind ticket that ``bind/`` trades, with an account's credentials, for a token."""

    default_code = "account_required"
    default_detail = _("Only existing accounts may use this mini program: bind your WeChat to "
                       "your account with the bind ticket and its username and password.")

    def __init__(self, bind_ticket: str, expires_in: int) -> None:
        super().__init__()
        self.extra = {"bind_ticket": bind_ticket, "expires_in": expires_in}


class InvalidBindTicket(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_bind_ticket"
    default_detail = _("The bind ticket is invalid, expired or already used; call wx.login and "
                       "log in again.")


class AlreadyBound(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "already_bound"
    default_detail = _("This account already has a WeChat identity in this mini program.")


class MergeRefused(exceptions.APIException):
    """Binding would retire a user that is more than a WeChat login (a password, staff rights,
    another way in, or rows of the project that protect it)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "merge_refused"
    default_detail = _("This WeChat user is an account of its own and cannot be merged into "
                       "another one.")


class LastLoginMethod(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "last_login_method"
    default_detail = _("Unbinding would leave this account no way to log in: set a password "
                       "first.")


class InvalidToken(exceptions.AuthenticationFailed):
    default_code = "invalid_token"
    default_detail = _("The token is invalid.")


class SessionExpired(exceptions.AuthenticationFailed):
    default_code = "session_expired"
    default_detail = _("The login state has expired; please log in again.")


def _first_message(detail: Any) -> tuple[str, str]:
    """The first (message, code) of a possibly nested DRF error detail."""
    while isinstance(detail, dict | list):
        if not detail:
            return "", "invalid"
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail), getattr(detail, "code", None) or "invalid"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every body shaped ``{"code", "detail"}`` (plus ``errors`` per field,
    or an error's own ``extra`` fields, such as a bind ticket).

    Set it as ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` to give your own views the same shape.
    """
    from rest_framework.views import exception_handler as drf_exception_handler
    # (imported here: rest_framework.views loads the auth classes, which import this module)

    if isinstance(exc, OperationalError | InterfaceError):
        logger.error("Database unavailable: %s", type(exc).__name__)
        exc = ServiceUnavailable()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc.detail, dict | list):
        detail, code = _first_message(exc.detail)
        if isinstance(exc, exceptions.ValidationError):
            code = "invalid_request"
        response.data = {"code": code, "detail": detail, "errors": exc.detail}
    else:
        response.data = {"code": exc.detail.code or exc.default_code, "detail": str(exc.detail),
                         **getattr(exc, "extra", {})}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
