"""Scan-login routes, spliced into the package's URLconf (``django_wxlogin/urls.py``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("web/scan/", views.TicketView.as_view(), name="scan"),
    path("web/scan/status/", views.StatusView.as_view(), name="scan-status"),
    path("web/scan/events/", views.EventsView.as_view(), name="scan-events"),
    path("web/scan/session/", views.ClaimView.as_view(), name="scan-claim"),
    path("scan/<str:scene>/", views.DescribeView.as_view(), name="scan-describe"),
    path("scan/<str:scene>/confirm/", views.ConfirmView.as_view(), name="scan-confirm"),
    path("scan/<str:scene>/cancel/", views.CancelView.as_view(), name="scan-cancel"),
]
