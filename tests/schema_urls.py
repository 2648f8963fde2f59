"""The package's API alone, mounted as the example project mounts it, for its schema."""

from django.urls import include, path

urlpatterns = [path("wx/", include("django_wxlogin.urls"))]
