"""The message-push URL, one per app: ``push/<NAME or APPID>/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("push/<str:app>/", views.PushView.as_view(), name="push"),
]
