"""The session cookie as DRF authentication: CSRF on unsafe methods, the same revocations."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from django_wxlogin.models import RevokeReason, WxSession
from django_wxlogin.wechat.fake import openid_for

from ..conftest import bearer, manage
from .conftest import COOKIE, browser_login, wechat_user

pytestmark = pytest.mark.django_db(transaction=True)
FORM = "application/x-www-form-urlencoded"


def form(**fields: str) -> str:
    return urlencode(fields)


def _csrf(client: APIClient) -> str:
    """A CSRF token the way a page gets one: Django's cookie, echoed in the header."""
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies[django_settings.CSRF_COOKIE_NAME] = secret
    return _mask_cipher_secret(secret)


def test_an_unsafe_request_with_the_cookie_needs_the_csrf_token(csrf_client):
    user, _ = wechat_user()
    browser_login(user, client=csrf_client)
    assert csrf_client.get("/wx/sessions/").status_code == 200  # safe: no token needed
    refused = csrf_client.post("/wx/web/logout/")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert WxSession.objects.live().filter(user=user, surface="website").exists()
    token = _csrf(csrf_client)
    done = csrf_client.post("/wx/web/logout/", HTTP_X_CSRFTOKEN=token)
    assert done.status_code == 204
    assert done.cookies[COOKIE].value == "" and done.cookies[COOKIE]["max-age"] == 0
    assert not WxSession.objects.live().filter(user=user, surface="website").exists()


def test_a_logout_form_is_sent_on_to_a_safe_next_only(csrf_client):
    user, _ = wechat_user()
    browser_login(user, client=csrf_client)
    token = _csrf(csrf_client)
    done = csrf_client.post("/wx/web/logout/", form(next="https://evil.example/",
                                                    csrfmiddlewaretoken=token), content_type=FORM)
    assert done.status_code == 302 and done["Location"] == "/"
    browser_login(user, client=csrf_client)
    done = csrf_client.post("/wx/web/logout/", form(next="/bye/", csrfmiddlewaretoken=token),
                            content_type=FORM)
    assert done.status_code == 302 and done["Location"] == "/bye/"


def test_a_bearer_request_needs_no_csrf_token(csrf_client):
    _, token = wechat_user()
    assert csrf_client.post("/wx/logout/", **bearer(token)).status_code == 204


def test_logout_everywhere_from_the_mini_program_ends_the_browser_session():
    user, token = wechat_user()
    browser, session, _ = browser_login(user)
    assert browser.get("/wx/sessions/").status_code == 200  # cached now
    assert APIClient().post("/wx/logout/all/", **bearer(token)).status_code == 204
    answer = browser.get("/wx/sessions/")
    assert answer.status_code == 401 and answer.json()["code"] == "session_expired"
    assert WxSession.objects.get(pk=session.pk).revoke_reason == RevokeReason.LOGOUT_ALL


def test_a_revocation_by_command_in_another_process_ends_the_browser_session():
    user, _ = wechat_user()
    browser, session, _ = browser_login(user)
    assert browser.get("/wx/sessions/").status_code == 200  # cached now
    done = manage("wxlogin_revoke", "--openid", openid_for("wxtestapp0000001", "alice"),
                  "--no-input", TEST_REDIS_URL=django_settings.REDIS_URL)
    assert done.returncode == 0, done.stderr
    assert browser.get("/wx/sessions/").status_code == 401
    assert WxSession.objects.get(pk=session.pk).revoke_reason == RevokeReason.COMMAND


def test_cookie_logout_all_ends_every_surface(csrf_client):
    user, token = wechat_user()
    browser_login(user, client=csrf_client)
    assert csrf_client.post("/wx/web/logout/all/", HTTP_X_CSRFTOKEN=_csrf(csrf_client)
                            ).status_code == 204
    assert APIClient().get("/wx/sessions/", **bearer(token)).status_code == 401
    assert not WxSession.objects.live().filter(user=user).exists()


def test_a_malformed_cookie_is_401_not_500():
    client = APIClient()
    client.cookies[COOKIE] = "x" * 500
    assert client.get("/wx/sessions/").status_code == 401
    client.cookies[COOKIE] = "12.forged"
    assert client.get("/wx/sessions/").json()["code"] == "invalid_token"
