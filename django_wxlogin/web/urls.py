"""The web endpoints, spliced into the package's URLconf (``django_wxlogin/urls.py``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("web/exchange/", views.ExchangeView.as_view(), name="web-exchange"),
    path("web/<str:app>/login/", views.WebLoginView.as_view(), name="web-login"),
    path("web/<str:app>/callback/", views.WebCallbackView.as_view(), name="web-callback"),
    path("web/logout/", views.CookieLogoutView.as_view(), name="web-logout"),
    path("web/logout/all/", views.CookieLogoutAllView.as_view(), name="web-logout-all"),
]
