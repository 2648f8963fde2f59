"""``POST account/delete/``: a person closes their account, proving again who they are."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .. import accounts
from ..schema import errors, extend_schema
from ..serializers import CodeSerializer, StrictCharField
from ..settings import wxlogin_settings
from ..throttling import PasswordRateThrottle
from ..views import WxLoginAPIView, current_identity
from ..wechat.client import client
from ..wechat.code_lock import exchange_once
from .closures import request_closure
from .models import ClosureState


class ReauthenticationFailed(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "reauthentication_failed"
    default_detail = _("Log in again to close the account: a fresh wx.login() code of this "
                       "WeChat user, or the account's password.")


class AccountDeleteSerializer(CodeSerializer):
    """A fresh ``wx.login()`` code of the same WeChat user, or the account's password."""

    code = StrictCharField(trim_whitespace=False, max_length=128, required=False)
    password = StrictCharField(trim_whitespace=False, max_length=4096, required=False,
                               write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("code" in attrs) == ("password" in attrs):
            raise ValidationError(_("Send either a fresh wx.login() code or the password."))
        return attrs


class ClosureSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ClosureState.choices, help_text=_(
        '"pending" until the grace period is over, "erased" when it was 0.'))
    erase_after = serializers.DateTimeField()


class AccountDeleteView(WxLoginAPIView):
    """Close the user's account: every session ends now, and everything is erased after
    ``CLOSURE_GRACE_PERIOD`` unless the person logs in again meanwhile."""

    throttle_classes = [PasswordRateThrottle]

    @extend_schema(request=AccountDeleteSerializer, responses={
        202: ClosureSerializer, **errors(400, 401, 403, 404, 405, 409, 429, 500, 503)})
    def post(self, request: Request) -> Response:
        serializer = AccountDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, user = serializer.validated_data, cast(Any, request.user)
        if "code" in data:
            wxuser = current_identity(request)
            app = wxlogin_settings.app(wxuser.appid)
            if exchange_once(client(app), data["code"]).openid != wxuser.openid:
                raise ReauthenticationFailed()
            method = "wechat"
        else:
            if not user.has_usable_password():
                raise ReauthenticationFailed()
            account = accounts.authenticate_account(request, user.get_username(),
                                                    data["password"])
            if account.pk != user.pk:
                raise ReauthenticationFailed()
            method = "password"
        closure = request_closure(user, method=method)
        return Response(ClosureSerializer(closure).data, status=status.HTTP_202_ACCEPTED)
