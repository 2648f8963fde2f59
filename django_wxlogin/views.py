"""The HTTP API: login (WeChat or password), binding, logout, profile, the user's sessions,
decryption and phone numbers."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import accounts, audit, avatars, signals, users
from .authentication import WxTokenAuthentication
from .databases import primary
from .exceptions import NoPhoneNumber, UnknownApp, exception_handler
from .mobile import login as mobile
from .models import LoginMethod, RevokeReason, WxSession, WxUser
from .parsers import JSONParser
from .schema import errors, extend_schema, free_form, path_integer
from .serializers import (
    BindSerializer,
    CodeSerializer,
    DecryptSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    PasswordLoginSerializer,
    PhoneNumberSerializer,
    ProfileSerializer,
    SessionSerializer,
)
from .sessions.revocation import revoke, revoke_user
from .settings import MINIPROGRAM, MOBILE_APP, WxApp, wxlogin_settings
from .throttling import (
    AvatarRateThrottle,
    LoginRateThrottle,
    PasswordRateThrottle,
    PhoneRateThrottle,
)
from .web.authentication import WxCookieAuthentication
from .web.errors import WrongKind
from .wechat import decryption, phone
from .wechat.client import client
from .wechat.code_lock import exchange_once


class WxLoginAPIView(APIView):
    """Base of the package's views: token (or, CSRF-checked, web session cookie) auth, and
    ``{"code", "detail"}`` error bodies."""

    authentication_classes = [WxTokenAuthentication, WxCookieAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, FormParser]

    def get_exception_handler(self):
        return exception_handler

    def finalize_response(self, request: Request, response: Any, *args: Any,
                          **kwargs: Any) -> Any:
        """Every answer is ``Cache-Control: no-store``: most carry a token or personal data
        (profile, phone number, sessions with their IPs), and none is worth a shared cache."""
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store"
        return response


def session_of(request: Request) -> WxSession:
    """The session behind the request's token (``WxTokenAuthentication`` sets it)."""
    if not isinstance(request.auth, WxSession):
        raise NotAuthenticated()
    return request.auth


def current_identity(request: Request) -> WxUser:
    """The ``WxUser`` of the request's user in the mini program its session was issued for
    (from the primary: a login or a profile change a moment ago is there)."""
    session = session_of(request)
    wxuser = WxUser.objects.using(primary(WxUser)).filter(
        user_id=session.user_id, appid=session.appid).first()
    if wxuser is None:
        raise NotFound(_("This account has no WeChat identity."), code="no_wechat_identity")
    return wxuser


def _login_app(in_url: str | None, in_body: str | None) -> WxApp:
    """The app the URL or the body names ("" is none); one the URL names must exist (404)."""
    in_body = in_body or None
    if in_url is not None:
        try:
            app = wxlogin_settings.app(in_url)
        except UnknownApp as error:
            raise NotFound(error.detail, code="unknown_app") from None
        if in_body is not None and wxlogin_settings.app(in_body) != app:
            raise UnknownApp(_("The URL and the body name different mini programs."))
        return app
    return wxlogin_settings.app(in_body)


def login_response(login: users.Login) -> Response:
    """The answer of every way in (WeChat, password, binding): the token, shown this once."""
    session = login.session
    return Response(LoginResponseSerializer({
        "token": login.token,
        "token_type": wxlogin_settings.AUTH_HEADER_KEYWORD,
        "expires_at": session.expires_at,
        "expires_in": int((session.expires_at - session.created_at).total_seconds()),
        "created": login.created,
        "user": login.wxuser or session.user,
    }).data)


LOGIN_RESPONSES = {200: LoginResponseSerializer, **errors(400, 403, 405, 409, 429, 500, 503)}


class LoginView(WxLoginAPIView):
    """Trade a ``wx.login()`` code for a token, in the mini program the URL or body names."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        code = response.data.get("code", "") if isinstance(response.data, dict) else ""
        audit.login_failed(self.request, code, self.kwargs.get("app", ""))
        return response

    @extend_schema(request=LoginSerializer, responses=LOGIN_RESPONSES)
    def post(self, request: Request, app: str | None = None) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mini_program = _login_app(app, serializer.validated_data.get("app"))
        if mini_program.kind == MOBILE_APP:
            return login_response(mobile.login(mini_program, serializer.validated_data["code"],
                                               request))
        if mini_program.kind != MINIPROGRAM:
            raise WrongKind()  # Official Accounts and websites log in at web/<app>/login/
        identity = exchange_once(client(mini_program), serializer.validated_data["code"])
        login = users.login(identity, appid=mini_program.appid, request=request)
        assert login.wxuser is not None  # a WeChat login always has its identity
        signals.send_login(request, login.wxuser.user, login.session, LoginMethod.WECHAT,
                           wxuser=login.wxuser if login.user_created else None)
        return login_response(login)


class AppLoginView(LoginView):
    """``login/<app>/``: the same, with the mini program named in the URL."""

    @extend_schema(operation_id="wx_login_app", request=LoginSerializer,
                   responses={**LOGIN_RESPONSES, **errors(404)})
    def post(self, request: Request, app: str | None = None) -> Response:
        return super().post(request, app)


class AccountsAPIView(WxLoginAPIView):
    """Base of the endpoints that involve an account's password: absent (404) unless
    ``PASSWORD_LOGIN`` is on."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if not wxlogin_settings.PASSWORD_LOGIN:
            raise NotFound()
        super().initial(request, *args, **kwargs)


class PasswordLoginView(AccountsAPIView):
    """Trade an account's username and password for a token, as a WeChat login would give."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PasswordRateThrottle]

    @extend_schema(request=PasswordLoginSerializer, responses={
        200: LoginResponseSerializer, **errors(400, 403, 404, 405, 429, 503)})
    def post(self, request: Request) -> Response:
        serializer = PasswordLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mini_program = _login_app(None, serializer.validated_data.get("app"))
        account = accounts.authenticate_account(request, serializer.validated_data["username"],
                                                serializer.validated_data["password"])
        return login_response(accounts.password_login(account, appid=mini_program.appid,
                                                      request=request))


class BindView(AccountsAPIView):
    """Bind a WeChat identity to an existing account, proven by its username and password:
    the identity of this request's token (its WeChat-only user is merged into the account),
    or the one a bind ticket stands for. Answers a token for the account."""

    permission_classes = [AllowAny]
    throttle_classes = [PasswordRateThrottle]

    @extend_schema(request=BindSerializer, responses={
        200: LoginResponseSerializer, **errors(400, 401, 403, 404, 405, 409, 429, 503)})
    def post(self, request: Request) -> Response:
        serializer = BindSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket, wxuser = data.get("bind_ticket"), None
        if ticket is None:
            if request.auth is None:
                raise NotAuthenticated()
            wxuser = current_identity(request)
        account = accounts.authenticate_account(request, data["username"], data["password"])
        if wxuser is not None:
            return login_response(accounts.bind(wxuser, account, request=request))
        return login_response(accounts.bind_with_ticket(ticket, account, request=request))


class UnbindView(AccountsAPIView):
    """Detach the WeChat identity of this session's mini program from the account, if a
    password or another identity still lets the account in."""

    @extend_schema(request=None, responses={204: None, **errors(401, 404, 405, 409, 503)})
    def post(self, request: Request) -> Response:
        accounts.unbind(current_identity(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(WxLoginAPIView):
    """Revoke the token this request carries."""

    @extend_schema(request=None, responses={204: None, **errors(401, 405, 503)})
    def post(self, request: Request) -> Response:
        revoke(session_of(request), RevokeReason.LOGOUT)
        signals.send_logout(request, everywhere=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(WxLoginAPIView):
    """Revoke every session of the user, this one included."""

    @extend_schema(request=None, responses={204: None, **errors(401, 405, 503)})
    def post(self, request: Request) -> Response:
        revoke_user(request.user.pk, RevokeReason.LOGOUT_ALL)
        signals.send_logout(request, everywhere=True)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileView(WxLoginAPIView):
    """The user's WeChat profile: nickname and avatar (头像昵称填写)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    throttle_classes = [AvatarRateThrottle]

    def get_object(self) -> WxUser:
        return current_identity(self.request)

    @extend_schema(responses={200: ProfileSerializer, **errors(401, 404, 503)})
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(self.get_object()).data)

    @extend_schema(request=ProfileSerializer, responses={
        200: ProfileSerializer, **errors(400, 401, 404, 413, 415, 429, 503)})
    def patch(self, request: Request) -> Response:
        wxuser = self.get_object()
        serializer = ProfileSerializer(wxuser, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        avatar = serializer.validated_data.pop("avatar", None)
        previous = wxuser.avatar_file
        extra: dict[str, Any] = {}
        if avatar is not None:
            name = avatars.save(avatar)
            extra = {"avatar_file": name,
                     "avatar_url": request.build_absolute_uri(default_storage.url(name))}
        elif "avatar_url" in serializer.validated_data:
            extra["avatar_file"] = ""  # an avatar of its own no more
        serializer.save(**extra)
        if previous != wxuser.avatar_file:
            avatars.delete_later(previous)
        return Response(serializer.data)

    @extend_schema(operation_id="wx_profile_upload", request=ProfileSerializer, responses={
        200: ProfileSerializer, **errors(400, 401, 404, 413, 415, 429, 503)})
    def post(self, request: Request) -> Response:
        """The same as PATCH, for ``wx.uploadFile``, which can only POST."""
        return self.patch(request)


class SessionListView(WxLoginAPIView):
    """The user's live sessions (devices); ``current`` marks the one making the request."""

    @extend_schema(responses={200: SessionSerializer(many=True), **errors(401, 503)})
    def get(self, request: Request) -> Response:
        sessions = WxSession.objects.using(primary(WxSession)).live().filter(
            user=request.user).order_by("-created_at")
        return Response(SessionSerializer(sessions, many=True, context={"request": request}).data)


class SessionDetailView(WxLoginAPIView):
    """Revoke one of the user's own sessions; someone else's id is a 404."""

    @extend_schema(parameters=path_integer("id", "The session's id from GET sessions/."),
                   responses={204: None, **errors(401, 404, 503)})
    def delete(self, request: Request, pk: str) -> Response:
        # Any path segment reaches here, so that a non-number is a JSON 404 like a stranger's id.
        if not (pk.isascii() and pk.isdigit() and len(pk) <= 18):
            raise NotFound()
        session = get_object_or_404(WxSession.objects.using(primary(WxSession)).live(),
                                    pk=int(pk), user=request.user)
        revoke(session, RevokeReason.USER)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DecryptView(WxLoginAPIView):
    """Decrypt ``encryptedData`` with the user's session_key; ``save_phone`` also stores the
    number of a legacy phone payload. Every decryption failure is the same 400."""

    @extend_schema(request=DecryptSerializer, responses={
        200: free_form("The decrypted JSON, without its watermark."),
        **errors(400, 401, 404, 415, 503)})
    def post(self, request: Request) -> Response:
        serializer = DecryptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wxuser = current_identity(request)
        data = decryption.decrypt_for(wxuser, serializer.validated_data["encrypted_data"],
                                      serializer.validated_data["iv"])
        if serializer.validated_data["save_phone"]:
            phone_number = phone.parse_phone_info(data)
            if phone_number is None:
                raise NoPhoneNumber()
            phone.save_phone_number(wxuser, phone_number)
        return Response(data)


class PhoneView(WxLoginAPIView):
    """Trade a getPhoneNumber code for the user's phone number, and store it."""

    throttle_classes = [PhoneRateThrottle]

    @extend_schema(request=CodeSerializer, responses={
        200: PhoneNumberSerializer, **errors(400, 401, 404, 429, 500, 503)})
    def post(self, request: Request) -> Response:
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wxuser = current_identity(request)
        phone_number = phone.fetch_phone_number(wxlogin_settings.app(wxuser.appid),
                                                serializer.validated_data["code"])
        phone.save_phone_number(wxuser, phone_number)
        return Response(PhoneNumberSerializer(phone_number).data)
