from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_wxlogin.authentication import WxTokenAuthentication


class WhoAmI(APIView):
    """A project's own view protected by the package's authentication."""

    authentication_classes = [WxTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": str(request.user.pk), "session": request.auth.pk})


def web_whoami(request):
    """A server-rendered page's view of the user: ``WxSessionMiddleware`` sets it."""
    user = request.user
    return JsonResponse({"user": str(user.pk) if user.is_authenticated else None})


urlpatterns = [
    path("web-whoami/", web_whoami),
    path("admin/", admin.site.urls),
    path("wx/", include("django_wxlogin.urls")),
    path("whoami/", WhoAmI.as_view()),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="tests.schema_urls"), name="schema"),
]
