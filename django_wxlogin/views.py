"""The HTTP API: login, logout, profile and the user's sessions."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import store, users, wechat
from .authentication import WxTokenAuthentication
from .code_lock import exchange_once
from .exceptions import exception_handler
from .models import RevokeReason, WxSession, WxUser
from .serializers import (
    AVATAR_FORMATS,
    LoginResponseSerializer,
    LoginSerializer,
    ProfileSerializer,
    SessionSerializer,
)
from .settings import wxlogin_settings
from .throttling import LoginRateThrottle


class WxLoginAPIView(APIView):
    """Base of the package's views: token auth, and ``{"code", "detail"}`` error bodies."""

    authentication_classes = [WxTokenAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, FormParser]

    def get_exception_handler(self):
        return exception_handler


def _no_store(response: Response) -> Response:
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


class LoginView(WxLoginAPIView):
    """Trade a ``wx.login()`` code for a token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        identity = exchange_once(wechat.client(), serializer.validated_data["code"])
        login = users.login(identity, appid=wxlogin_settings.APPID, request=request)
        expires_in = int((login.session.expires_at - login.session.created_at).total_seconds())
        body = LoginResponseSerializer({
            "token": login.token,
            "token_type": wxlogin_settings.AUTH_HEADER_KEYWORD,
            "expires_at": login.session.expires_at,
            "expires_in": expires_in,
            "created": login.created,
            "user": login.wxuser,
        }).data
        return _no_store(Response(body))


class LogoutView(WxLoginAPIView):
    """Revoke the token this request carries."""

    def post(self, request: Request) -> Response:
        store.revoke(request.auth, RevokeReason.LOGOUT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(WxLoginAPIView):
    """Revoke every session of the user, this one included."""

    def post(self, request: Request) -> Response:
        store.revoke_user(request.user.pk, RevokeReason.LOGOUT_ALL)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileView(WxLoginAPIView):
    """The user's WeChat profile: nickname and avatar (头像昵称填写)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_object(self) -> WxUser:
        wxuser = WxUser.objects.filter(user=self.request.user,
                                       appid=wxlogin_settings.APPID).first()
        if wxuser is None:
            raise NotFound(_("This account has no WeChat identity."), code="no_wechat_identity")
        return wxuser

    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(self.get_object()).data)

    def patch(self, request: Request) -> Response:
        serializer = ProfileSerializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        avatar = serializer.validated_data.pop("avatar", None)
        extra: dict[str, Any] = {}
        if avatar is not None:
            extension = AVATAR_FORMATS[avatar.image.format]
            avatar.seek(0)
            name = default_storage.save(
                f"{wxlogin_settings.AVATAR_UPLOAD_TO}{uuid.uuid4().hex}.{extension}", avatar
            )
            extra["avatar_url"] = request.build_absolute_uri(default_storage.url(name))
        serializer.save(**extra)
        return Response(serializer.data)

    post = patch  # wx.uploadFile can only POST


class SessionListView(WxLoginAPIView):
    """The user's live sessions (devices); ``current`` marks the one making the request."""

    def get(self, request: Request) -> Response:
        sessions = WxSession.objects.live().filter(user=request.user).order_by("-created_at")
        return Response(SessionSerializer(sessions, many=True, context={"request": request}).data)


class SessionDetailView(WxLoginAPIView):
    """Revoke one of the user's own sessions; someone else's id is a 404."""

    def delete(self, request: Request, pk: int) -> Response:
        session = get_object_or_404(WxSession.objects.live(), pk=pk, user=request.user)
        store.revoke(session, RevokeReason.USER)
        return Response(status=status.HTTP_204_NO_CONTENT)
