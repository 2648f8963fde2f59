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


class WrongKind(exceptions.NotFound):
    """The app named in the URL cannot log in this way (e.g. a mini program at web login)."""

    default_code = "wrong_kind"
    default_detail = _("This app cannot log in this way.")

