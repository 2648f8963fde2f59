"""The example's own pages: a login page that shows the scan-login code."""

from django.shortcuts import render


def scan_login(request):
    """The website's login page: scan the code with WeChat, confirm on the phone."""
    return render(request, "example_project/scan_login.html")
