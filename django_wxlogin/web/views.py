"""Web sessions over HTTP: trading an exchange code, and logging a cookie session out."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseRedirect
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .. import signals
from ..models import RevokeReason
from ..schema import errors, extend_schema
from ..serializers import CodeSerializer
from ..sessions.revocation import revoke, revoke_user
from ..throttling import LoginRateThrottle
from ..views import LOGIN_RESPONSES, WxLoginAPIView, login_response, session_of
from .authentication import WxCookieAuthentication
from .delivery import delete_session_cookie, redeem_exchange_code
from .redirects import safe_next


class ExchangeView(WxLoginAPIView):
    """Trade a one-time exchange code from web login for a token (the body of ``login/``)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=CodeSerializer, responses=LOGIN_RESPONSES)
    def post(self, request: Request) -> Response:
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return login_response(redeem_exchange_code(serializer.validated_data["code"], request))


class CookieLogoutView(WxLoginAPIView):
    """Revoke the cookie's session and delete the cookie. A form post (with its CSRF token)
    is sent on to its ``next``; a script gets 204."""

    authentication_classes = [WxCookieAuthentication]
    everywhere = False

    @extend_schema(request=None, responses={204: None, 302: None, **errors(401, 403, 405, 503)})
    def post(self, request: Request) -> Any:
        if self.everywhere:
            revoke_user(request.user.pk, RevokeReason.LOGOUT_ALL)
        else:
            revoke(session_of(request), RevokeReason.LOGOUT)
        signals.send_logout(request, everywhere=self.everywhere)
        response: Any = Response(status=status.HTTP_204_NO_CONTENT)
        target = request.data.get("next") if hasattr(request.data, "get") else None
        if target is not None:
            response = HttpResponseRedirect(safe_next(request, str(target)))
        delete_session_cookie(response)
        return response


class CookieLogoutAllView(CookieLogoutView):
    """The same, revoking every session of the user on every surface."""

    everywhere = True
