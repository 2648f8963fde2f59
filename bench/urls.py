"""One tiny authenticated view per authentication scheme, one without authentication that
makes a single Redis GET (the floor), and the package's own URLs for logins."""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.urls import include, path
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import (
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)

from django_wxlogin.authentication import WxTokenAuthentication


class WxTokenAuthenticationFromRedis(WxTokenAuthentication):
    """django-wxlogin with ``LOCAL_CACHE`` off for this request: one ``MGET`` per request, as
    before the in-process layer (one process serves both)."""

    def authenticate(self, request: Request) -> Any:
        conf = settings.WXLOGIN
        conf["LOCAL_CACHE"] = False
        try:
            return super().authenticate(request)
        finally:
            conf["LOCAL_CACHE"] = True


SCHEMES = {
    "wxlogin": WxTokenAuthentication,
    "wxlogin_redis": WxTokenAuthenticationFromRedis,
    "drf_token": TokenAuthentication,
    "knox": KnoxTokenAuthentication,
    "simplejwt": JWTAuthentication,
    "simplejwt_stateless": JWTStatelessUserAuthentication,
}
RAW_KEY = "bench:raw"


def _view(auth_class: type) -> type[APIView]:
    class WhoAmI(APIView):
        authentication_classes = [auth_class]

        def get(self, request: Request) -> Response:
            return Response({"user": request.user.pk})

    return WhoAmI


class RawRedis(APIView):
    """No authentication, one GET through the same redis-py client."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        value = cache.client.get_client().get(cache.make_key(RAW_KEY)) or b""
        return Response({"user": len(value)})


urlpatterns = [
    *(path(f"{name}/", _view(cls).as_view()) for name, cls in SCHEMES.items()),
    path("raw_redis/", RawRedis.as_view()),
    path("wx/", include("django_wxlogin.urls")),
]
