"""Tickets and their states over the real Redis, WeChat the fake over HTTP."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from django_wxlogin.cache import key
from django_wxlogin.scan import tickets
from django_wxlogin.wechat.fake import code_text

from ..conftest import SHOP, bearer, fresh_code, run_together
from .conftest import BROWSER_AGENT, Phone, decode_code, image_of, new_browser, new_phone

pytestmark = pytest.mark.django_db(transaction=True)


def ticket_keys() -> list[bytes]:
    redis = cache.client.get_client(write=True)
    return [k for k in redis.keys(key("scan", "*")) if not k.endswith(b"events")]


def test_a_ticket_is_a_random_scene_in_a_real_code_and_a_separate_http_only_cookie(
        fake_wechat, settings):
    browser = new_browser()
    page, scene = decode_code(image_of(browser.body))
    assert page == "pages/scan/confirm"
    assert len(scene) == 32 and scene.isalnum()
    assert browser.body["expires_in"] == 120
    cookie = browser.client.cookies["wxlogin_scan"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie.value.split(".")[0] == scene and len(cookie.value) > 60
    call = fake_wechat.calls("/wxa/getwxacodeunlimit")[-1]["params"]
    assert call["check_path"] is True and call["env_version"] == "release"
    assert new_browser().scene != scene
    # The scene is not stored in the clear, nor the poll secret.
    redis = cache.client.get_client(write=True)
    stored = b"".join(redis.hgetall(k).__repr__().encode() for k in ticket_keys())
    assert scene.encode() not in stored and cookie.value.split(".")[1].encode() not in stored


def test_the_fake_encodes_page_and_scene():
    assert code_text("wx1", "pages/a", "x/y?z") == \
        "wxacode:wx1/pages/a?scene=x%2Fy%3Fz&env_version=release"


def test_scan_confirm_then_the_browser_sees_confirmed_with_one_read(sent):
    browser, phone = new_browser(), new_phone()
    assert browser.status().json()["state"] == "issued"
    shown = phone.describe(browser.scene)
    assert shown.status_code == 200, shown.content
    assert shown.json()["ip_address"] == "203.0.113.7"
    assert shown.json()["user_agent"] == BROWSER_AGENT
    assert shown.json()["site"] == "testserver"
    assert 0 < shown.json()["expires_in"] <= 120
    assert browser.status().json()["state"] == "scanned"
    assert phone.confirm(browser.scene).json() == {"state": "confirmed"}
    sent.clear()
    assert browser.status().json()["state"] == "confirmed"
    assert sent == [["HMGET"]]


def test_polling_costs_no_database_query(django_assert_num_queries):
    browser = new_browser()
    with django_assert_num_queries(0):
        assert browser.status().status_code == 200


def test_a_second_browser_knowing_the_scene_learns_nothing():
    browser, phone = new_browser(), new_phone()
    other = APIClient()
    other.cookies["wxlogin_scan"] = f"{browser.scene}.made-up-secret"
    phone.describe(browser.scene)
    phone.confirm(browser.scene)
    assert other.get("/wx/web/scan/status/").json()["state"] == "unknown"
    assert other.post("/wx/web/scan/session/").json()["code"] == "scan_unknown"
    refused = APIClient().get("/wx/web/scan/status/")
    assert refused.status_code == 403 and refused.json()["code"] == "not_authenticated"
    assert browser.status().json()["state"] == "confirmed"


def test_two_phones_race_one_wins():
    browser = new_browser()
    phones = [new_phone(f"racer{i}") for i in range(6)]
    answers = run_together(6, lambda: phones.pop().describe(browser.scene).status_code)
    assert sorted(answers) == [200] + [409] * 5


def test_two_confirms_race_one_wins():
    browser, phone = new_browser(), new_phone()
    phone.describe(browser.scene)
    answers = run_together(8, lambda: phone.confirm(browser.scene).status_code)
    assert sorted(answers) == [200] + [409] * 7


def test_confirm_racing_cancel_one_wins():
    browser, phone = new_browser(), new_phone()
    phone.describe(browser.scene)
    calls = [lambda: phone.confirm(browser.scene), lambda: phone.cancel(browser.scene)] * 4
    answers = run_together(8, lambda: calls.pop()().status_code)
    assert sorted(answers) == [200] + [409] * 7
    assert browser.status().json()["state"] in ("confirmed", "cancelled")


def test_a_confirm_after_the_expiry_loses():
    browser, phone = new_browser(), new_phone()
    phone.describe(browser.scene)
    redis = cache.client.get_client(write=True)
    (name,) = ticket_keys()
    redis.hset(name, "e", f"{time.time() - 0.001:.3f}")  # its time just ran out
    answer = phone.confirm(browser.scene)
    assert answer.status_code == 410 and answer.json()["code"] == "scan_expired"
    assert browser.status().json()["state"] == "expired"


def test_expired_then_unknown_after_its_linger():
    browser, phone = new_browser(), new_phone()
    with time_machine.travel(time.time() + 121):
        assert browser.status().json()["state"] == "expired"
    cache.client.get_client(write=True).delete(*ticket_keys())  # its TTL ran out
    assert phone.describe(browser.scene).json()["code"] == "scan_unknown"
    assert phone.describe("NoSuchScene").status_code == 404


def test_confirm_without_describe_and_another_users_confirm_are_refused():
    browser, alice, bob = new_browser(), new_phone("alice"), new_phone("bob")
    assert alice.confirm(browser.scene).json()["code"] == "scan_not_scanned"
    alice.describe(browser.scene)
    assert bob.confirm(browser.scene).json()["code"] == "scan_taken"
    assert bob.cancel(browser.scene).json()["code"] == "scan_taken"
    assert browser.status().json()["state"] == "scanned"


def test_cancel_shows_in_the_browser_and_ends_the_ticket():
    browser, phone = new_browser(), new_phone()
    phone.describe(browser.scene)
    assert phone.cancel(browser.scene).json() == {"state": "cancelled"}
    assert browser.status().json()["state"] == "cancelled"
    assert phone.confirm(browser.scene).json()["code"] == "scan_cancelled"
    assert browser.claim().json()["code"] == "scan_cancelled"


@pytest.mark.parametrize("launch_scene", [1048, 1049])
def test_a_forwarded_screenshot_is_refused_by_default(launch_scene, settings):
    browser, phone = new_browser(), new_phone()
    refused = phone.describe(browser.scene, launch_scene=launch_scene)
    assert refused.status_code == 403 and refused.json()["code"] == "scan_forwarded"
    assert browser.status().json()["state"] == "issued"
    settings.WXLOGIN = {**settings.WXLOGIN, "SCAN_ALLOW_FORWARDED": True}
    assert phone.describe(browser.scene, launch_scene=launch_scene).status_code == 200
    settings.WXLOGIN = {**settings.WXLOGIN, "SCAN_ALLOW_FORWARDED": False}
    assert phone.confirm(browser.scene, launch_scene=launch_scene).status_code == 403
    assert phone.client.post(f"/wx/scan/{browser.scene}/confirm/", {}, format="json") \
        .json()["code"] == "invalid_request"


def test_a_banned_user_cannot_scan_or_confirm(django_user_model):
    browser, phone = new_browser(), new_phone("banned")
    phone.describe(browser.scene)
    user = django_user_model.objects.get(wechat_identities__isnull=False)
    user.is_active = False
    user.save()
    answer = phone.confirm(browser.scene)
    assert answer.status_code in (401, 403) and answer.json()["code"] in (
        "user_inactive", "session_expired", "invalid_token")
    assert browser.status().json()["state"] == "scanned"


def test_a_ticket_of_another_mini_program_is_refused(settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "APPS": [
        {"APPID": settings.WXLOGIN["APPID"], "SECRET": settings.WXLOGIN["SECRET"],
         "NAME": "main"}, SHOP]}
    client = APIClient()
    answer = client.post("/wx/web/scan/", {"app": "shop"}, format="json")
    assert answer.status_code == 201
    _, scene = decode_code(image_of(answer.json()))
    phone = new_phone_of_app("main")
    refused = phone.describe(scene)
    assert refused.status_code == 403 and refused.json()["code"] == "scan_wrong_app"


def new_phone_of_app(name: str) -> Phone:
    response = APIClient().post(f"/wx/login/{name}/", {"code": fresh_code("carol")},
                                format="json")
    assert response.status_code == 200, response.content
    return Phone(APIClient(**bearer(response.json()["token"])), response.json()["token"])


def test_a_ticket_flood_is_throttled_and_stores_a_bounded_number(settings, fresh_window,
                                                                 fake_wechat):
    settings.WXLOGIN = {**settings.WXLOGIN, "SCAN_RATE": "5/min"}
    client = APIClient(REMOTE_ADDR="198.51.100.9")
    calls = fake_wechat.wxacode_calls
    answers = [client.post("/wx/web/scan/", {}, format="json").status_code for _ in range(30)]
    assert answers == [201] * 5 + [429] * 25
    assert len(ticket_keys()) == 5
    assert fake_wechat.wxacode_calls - calls == 5
    for name in ticket_keys():
        assert 0 < cache.client.get_client(write=True).ttl(name) <= 180


def test_wechat_refusals_are_clear_and_store_nothing(settings, fake_wechat):
    fake_wechat.released_pages = {"pages/index/index"}
    try:
        answer = APIClient().post("/wx/web/scan/", {}, format="json")
        assert answer.status_code == 500 and answer.json()["code"] == "scan_invalid_page"
        fake_wechat.released_pages = None
        fake_wechat.wxacode_quota = 0
        answer = APIClient().post("/wx/web/scan/", {}, format="json")
        assert answer.status_code == 429 and answer.json()["code"] == "scan_quota_exceeded"
    finally:
        fake_wechat.released_pages, fake_wechat.wxacode_quota = None, 5000
    assert ticket_keys() == []


def test_the_fake_refuses_a_bad_scene_with_40169(fake_wechat, settings):
    from django_wxlogin.settings import wxlogin_settings
    from django_wxlogin.wechat.wxacode import CodeRequest, InvalidScene, unlimited_code

    with pytest.raises(InvalidScene):
        unlimited_code(wxlogin_settings.app(), CodeRequest(scene="x" * 33, page="pages/a"))
    with pytest.raises(InvalidScene):
        unlimited_code(wxlogin_settings.app(), CodeRequest(scene="中文", page="pages/a"))
    assert tickets.split_cookie("no-dot") is None


def test_only_a_mini_program_session_may_scan(django_user_model, settings):
    from django_wxlogin.web.delivery import issue_session

    browser, phone = new_browser(), new_phone("webbie")
    user = django_user_model.objects.get(wechat_identities__isnull=False)
    token, _ = issue_session(user, appid=settings.WXLOGIN["APPID"], surface="scan",
                             request=None)
    from_a_browser = Phone(APIClient(**bearer(token)), token)
    refused = from_a_browser.describe(browser.scene)
    assert refused.status_code == 403 and refused.json()["code"] == "scan_wrong_app"
    assert phone.describe(browser.scene).status_code == 200
