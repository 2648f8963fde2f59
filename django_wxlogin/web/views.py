"""Web login and web sessions over HTTP: the login redirect and WeChat's callback, trading an
exchange code, and logging a cookie session out."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseRedirect
from django.urls import reverse
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .. import audit, signals
from ..exceptions import UnknownApp
from ..models import RevokeReason
from ..schema import errors, extend_schema, query_string
from ..serializers import CodeSerializer, LoginResponseSerializer
from ..sessions.revocation import revoke, revoke_user
from ..settings import WEB_KINDS, WxApp, wxlogin_settings
from ..throttling import LoginRateThrottle
from ..views import WxLoginAPIView, login_response, session_of
from . import login
from .authentication import WxCookieAuthentication
from .delivery import delete_session_cookie, redeem_exchange_code
from .errors import WrongKind
from .pages import error_page, wants_page
from .redirects import safe_next


class ExchangeView(WxLoginAPIView):
    """Trade a one-time exchange code from web login for a token (the body of ``login/``)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=CodeSerializer, responses={200: LoginResponseSerializer,
                                                      **errors(400, 403, 405, 429, 503)})
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


class WebLoginAPIView(WxLoginAPIView):
    """Base of the browser login pages: no authentication, the login throttle, and errors as
    pages for browsers (JSON for other clients)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    def web_app(self, ref: str) -> WxApp:
        """The Official Account or website app the URL names (404 otherwise)."""
        try:
            app = wxlogin_settings.app(ref)
        except UnknownApp as error:
            raise NotFound(error.detail, code="unknown_app") from None
        if app.kind not in WEB_KINDS:
            raise WrongKind()
        return app

    def handle_exception(self, exc: Exception) -> Any:
        response = super().handle_exception(exc)
        data = response.data if isinstance(response.data, dict) else {}
        audit.login_failed(self.request, data.get("code", ""), self.kwargs.get("app", ""))
        if not wants_page(self.request):
            return response
        retry = reverse("wxlogin:web-login", args=[self.kwargs.get("app", "")]) \
            if self.kwargs.get("app") else "/"
        page = error_page(response.status_code, data.get("code", ""), data.get("detail", ""),
                          retry)
        if "Retry-After" in response:
            page["Retry-After"] = response["Retry-After"]
        return page


WEB_LOGIN_QUERY = [
    *query_string("next", "Where to go after login: a path on this site or a URL on "
                  "WEB_REDIRECT_HOSTS; anything else goes to WEB_LOGIN_REDIRECT."),
    *query_string("deliver", "cookie (the default), or exchange: a one-time code in next's "
                  "fragment, #wxlogin_code=...", enum=["cookie", "exchange"]),
]


class WebLoginView(WebLoginAPIView):
    """Send the browser to WeChat (an Official Account's authorize page, or a website app's
    QR page) with a ``state`` bound to this browser."""

    @extend_schema(parameters=WEB_LOGIN_QUERY,
                   responses={302: None, **errors(400, 404, 405, 429, 503)})
    def get(self, request: Request, app: str) -> Any:
        return login.begin(request, self.web_app(app), request.query_params.get("next"),
                           exchange=request.query_params.get("deliver") == "exchange")


class WebCallbackView(WebLoginAPIView):
    """Where WeChat sends the browser back: trade the code once and log the browser in."""

    @extend_schema(responses={302: None, **errors(400, 403, 404, 405, 429, 500, 503)})
    def get(self, request: Request, app: str) -> Any:
        params = request.query_params
        return login.finish(request, self.web_app(app), str(params.get("state", ""))[:128],
                            str(params.get("code", ""))[:128])
