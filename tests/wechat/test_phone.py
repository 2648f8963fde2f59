"""POST phone/: the getPhoneNumber code to a stored phone number, through the fake WeChat."""

from __future__ import annotations

import pytest

from django_wxlogin.models import WxUser

from ..conftest import bearer, log_in

# Every test runs twice: as is, and with server-API security on (tests/wechat/conftest.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("security_mode")]
PHONE_API = "/wxa/business/getuserphonenumber"


def test_phone_number_end_to_end(api, fake_wechat):
    token, _ = log_in("alice")
    response = api.post("/wx/phone/", {"code": "phone.13800138000"}, format="json",
                        **bearer(token))
    assert response.status_code == 200, response.content
    # The fake sends countryCode as a JSON number; the API always answers a string.
    assert response.json() == {"phone_number": "13800138000",
                               "pure_phone_number": "13800138000", "country_code": "86"}
    assert response["Cache-Control"] == "no-store"
    assert WxUser.objects.get().phone_number == "13800138000"
    assert api.get("/wx/profile/", **bearer(token)).json()["phone_number"] == "13800138000"
    assert fake_wechat.calls(PHONE_API)[-1]["method"] == "POST"


@pytest.mark.parametrize(("code", "status", "machine_code"), [
    ("err.40029", 400, "invalid_code"),
    ("phone.notdigits", 400, "invalid_code"),
    ("err.45011", 429, "wechat_rate_limited"),
    ("err.-1", 503, "wechat_unavailable"),
    ("err.40013", 500, "wechat_misconfigured"),
])
def test_wechat_errors_map_to_http_and_store_nothing(api, code, status, machine_code):
    token, _ = log_in("alice")
    response = api.post("/wx/phone/", {"code": code}, format="json", **bearer(token))
    assert response.status_code == status, response.content
    assert response.json()["code"] == machine_code
    assert WxUser.objects.get().phone_number == ""
    if status in (429, 503):
        assert int(response["Retry-After"]) > 0


def test_a_phone_code_works_once(api):
    token, _ = log_in("alice")
    first = api.post("/wx/phone/", {"code": "phone.13900139000"}, format="json", **bearer(token))
    assert first.status_code == 200
    again = api.post("/wx/phone/", {"code": "phone.13900139000"}, format="json", **bearer(token))
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_code"
    assert "getPhoneNumber" in again.json()["detail"]


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": 13800138000}, {"code": "a b"},
                                  {"code": "x" * 129}])
def test_bad_codes_never_reach_wechat(api, fake_wechat, body):
    token, _ = log_in("alice")
    before = len(fake_wechat.requests)
    response = api.post("/wx/phone/", body, format="json", **bearer(token))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert len(fake_wechat.requests) == before


def test_phone_needs_a_token_and_costs_nothing_without_one(api, fake_wechat):
    before = len(fake_wechat.requests)
    response = api.post("/wx/phone/", {"code": "phone.13800138000"}, format="json")
    assert response.status_code == 401
    assert len(fake_wechat.requests) == before
