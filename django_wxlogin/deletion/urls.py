"""Account closure: ``account/delete/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("account/delete/", views.AccountDeleteView.as_view(), name="account-delete"),
]
