from django.contrib import admin
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


urlpatterns = [
    path("admin/", admin.site.urls),
    path("wx/", include("django_wxlogin.urls")),
    path("whoami/", WhoAmI.as_view()),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="tests.schema_urls"), name="schema"),
]
