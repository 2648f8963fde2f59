"""Server-rendered pages: "Log in with WeChat" for each web app and who is logged in; the
scan-login page that shows a mini-program code."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from django_wxlogin.settings import WEB_KINDS, wxlogin_settings
from django_wxlogin.web.middleware import session_of


@never_cache
def home(request):
    apps = [{"name": app.name or app.appid, "kind": app.kind,
             "login": reverse("wxlogin:web-login", args=[app.name or app.appid])}
            for app in wxlogin_settings.apps if app.kind in WEB_KINDS]
    found = session_of(request)
    identities = list(request.user.wechat_identities.all()) if found else []
    return render(request, "example_project/home.html", {
        "apps": apps, "session": found[1] if found else None, "identities": identities})


def scan_login(request):
    """The website's login page: scan the code with WeChat, confirm on the phone."""
    return render(request, "example_project/scan_login.html")
