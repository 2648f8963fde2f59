"""WxTokenAuthentication: what a request may carry, and the one 401 shape for the rest."""

from __future__ import annotations

import pytest

from .conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)


def _assert_401(response, code):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    body = response.json()
    assert set(body) == {"code", "detail"}
    assert body["code"] == code


@pytest.mark.parametrize(("header", "code"), [
    (None, "not_authenticated"),
    ("Bearer", "invalid_token"),
    ("Bearer a b", "invalid_token"),
    ("Bearer not-a-token", "invalid_token"),
    ("Bearer " + "A" * 5000, "invalid_token"),
    ("Bearer MQ." + "x" * 43, "invalid_token"),
    ("Bearer ÿÿÿ.ÿÿÿ", "invalid_token"),
    ("Bearer MQ.%s" % ("é" * 43), "invalid_token"),
    ("Bearer ====." + "a" * 43, "invalid_token"),
    ("Token abc", "not_authenticated"),
    ("Basic dXNlcjpwYXNz", "not_authenticated"),
])
def test_bad_authorization_headers_get_401(api, header, code):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    _assert_401(api.get("/whoami/", **extra), code)


def test_the_keyword_is_case_insensitive_and_configurable(api, login, settings):
    token = login().json()["token"]
    assert api.get("/whoami/", HTTP_AUTHORIZATION=f"bearer {token}").status_code == 200
    settings.WXLOGIN = {**settings.WXLOGIN, "AUTH_HEADER_KEYWORD": "Token"}
    assert api.get("/whoami/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    response = api.get("/whoami/", **bearer(token))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_tokens_in_the_query_string_are_ignored(api, login):
    token = login().json()["token"]
    for name in ("token", "access_token", "auth", "authorization"):
        _assert_401(api.get(f"/whoami/?{name}={token}"), "not_authenticated")


def test_a_token_for_another_user_id_is_rejected(api, login):
    token = login().json()["token"]
    forged = "OTk5." + token.split(".", 1)[1]  # user 999, same random part
    _assert_401(api.get("/whoami/", **bearer(forged)), "invalid_token")
