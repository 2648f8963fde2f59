"""The package's URLconf: ``path("wx/", include("django_wxlogin.urls"))``."""

from django.urls import path, register_converter

from . import views


class SessionIdConverter:
    """Digits that fit a 64-bit id, so an absurd number is a 404 rather than a database error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(SessionIdConverter, "session_id")

app_name = "wxlogin"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/<str:app>/", views.AppLoginView.as_view(), name="login-app"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout/all/", views.LogoutAllView.as_view(), name="logout-all"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("sessions/", views.SessionListView.as_view(), name="sessions"),
    path("sessions/<session_id:pk>/", views.SessionDetailView.as_view(), name="session-detail"),
    path("decrypt/", views.DecryptView.as_view(), name="decrypt"),
    path("phone/", views.PhoneView.as_view(), name="phone"),
]
