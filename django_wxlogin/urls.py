"""The package's URLconf: ``path("wx/", include("django_wxlogin.urls"))``."""

from django.urls import path

from . import views
from .deletion import urls as deletion_urls
from .moderation import urls as moderation_urls
from .push import urls as push_urls
from .scan import urls as scan_urls
from .web import urls as web_urls

app_name = "wxlogin"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    # Before login/<app>/, which would take "password" for an app's name (wxlogin.E016).
    path("login/password/", views.PasswordLoginView.as_view(), name="login-password"),
    path("login/<str:app>/", views.AppLoginView.as_view(), name="login-app"),
    path("bind/", views.BindView.as_view(), name="bind"),
    path("unbind/", views.UnbindView.as_view(), name="unbind"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout/all/", views.LogoutAllView.as_view(), name="logout-all"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("sessions/", views.SessionListView.as_view(), name="sessions"),
    path("sessions/<str:pk>/", views.SessionDetailView.as_view(), name="session-detail"),
    path("decrypt/", views.DecryptView.as_view(), name="decrypt"),
    path("phone/", views.PhoneView.as_view(), name="phone"),
    *moderation_urls.urlpatterns,
    *push_urls.urlpatterns,
    *deletion_urls.urlpatterns,
    *web_urls.urlpatterns,  # web/: browser login and its sessions
    *scan_urls.urlpatterns,  # web/scan/... and scan/<scene>/...
]
