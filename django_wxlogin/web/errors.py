"""The errors of web and app login, each with its stable ``code``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status


class InvalidExchangeCode(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_exchange_code"
    default_detail = _("The exchange code is invalid, expired or already used; log in again.")


class InvalidState(exceptions.APIException):
    """The callback's ``state`` is unknown, expired, used, or was started in another browser:
    what a login CSRF attempt looks like."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_state"
    default_detail = _("This login link is invalid, expired, already used, or was opened in "
                       "another browser; start the login again.")


class SnapshotUser(exceptions.PermissionDenied):
    """WeChat's snapshot page (快照页) handed out a virtual identity: nobody to log in."""

    default_code = "snapshot_user"
    default_detail = _("This page was opened as a preview. Tap \"Use full service\" (使用完整服务) "
                       "at the bottom of the page, or open it from WeChat, to log in.")


class WrongKind(exceptions.NotFound):
    """The app named in the URL cannot log in this way (e.g. a mini program at web login)."""

    default_code = "wrong_kind"
    default_detail = _("This app cannot log in this way.")


class WebAccountRequired(exceptions.PermissionDenied):
    """Under ``REQUIRE_ACCOUNT`` a web login of someone without an account creates nothing."""

    default_code = "account_required"
    default_detail = _("Only existing accounts may log in here: bind your WeChat to your "
                       "account in the mini program first.")
