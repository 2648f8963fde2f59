"""The content checks' routes, appended to ``django_wxlogin.urls`` (namespace ``wxlogin``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("moderation/media/<str:token>/", views.MediaView.as_view(), name="moderation-media"),
]
