"""PATCH profile/ with content checks on: a risky nickname is a 400 and shown nowhere; an unsure
one follows CONTENT_CHECK_UNSURE; WeChat down or slow never makes a 5xx."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from django_wxlogin import signals
from django_wxlogin.models import WxUser
from django_wxlogin.moderation.models import ContentReview
from django_wxlogin.wechat.fake import FakeWeChat, session_key_for
from django_wxlogin.wechat.signatures import raw_data_signature

from ..conftest import bearer, fresh_code, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def _nickname(api: APIClient, token: str, nickname: str):
    return api.patch("/wx/profile/", {"nickname": nickname}, format="json", **bearer(token))


@pytest.fixture
def refused() -> list[dict]:
    seen: list[dict] = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    signals.content_refused.connect(receiver, dispatch_uid="test_refused")
    yield seen
    signals.content_refused.disconnect(dispatch_uid="test_refused")


def test_a_passing_nickname_is_published_at_once(api, checks_on, fake_wechat: FakeWeChat):
    token, _ = log_in("ann")
    before = len(fake_wechat.calls("/wxa/msg_sec_check"))
    response = _nickname(api, token, "Ann the kind")
    assert response.status_code == 200
    assert response.json()["nickname"] == "Ann the kind"
    assert response.json()["pending"] == {"nickname": None, "avatar": False}
    call = fake_wechat.calls("/wxa/msg_sec_check")[before]["params"]
    wxuser = WxUser.objects.get()
    assert (call["version"], call["scene"], call["openid"]) == (2, 1, wxuser.openid)
    assert "access_token" not in call  # the fake logs no secrets


def test_a_risky_nickname_is_refused_and_shown_nowhere(api, checks_on, refused):
    token, code = log_in("ann")
    _nickname(api, token, "Ann")
    response = _nickname(api, token, "so risky")
    assert response.status_code == 400
    assert response.json()["code"] == "risky_content"
    assert "so risky" not in response.content.decode()
    profile = api.get("/wx/profile/", **bearer(token))
    assert profile.json()["nickname"] == "Ann" and "risky" not in profile.content.decode()
    assert WxUser.objects.get().nickname == "Ann"
    assert not ContentReview.objects.filter(value__contains="risky").exists()
    assert [(r["kind"], r["label"], r["by"]) for r in refused] == [("nickname", 20001, "checker")]
    # Nor through getUserProfile's raw_data.
    raw_data = json.dumps({"nickName": "risky too"})
    signature = raw_data_signature(raw_data, session_key_for(settings.WXLOGIN["APPID"], code))
    raw = api.patch("/wx/profile/", {"raw_data": raw_data, "signature": signature},
                    format="json", **bearer(token))
    assert raw.json()["code"] == "risky_content" and WxUser.objects.get().nickname == "Ann"


@pytest.mark.parametrize("nickname", ["please review me", "err.-1 Ann", "err.45009 Ann",
                                      "slow.2 Ann"])
def test_an_unsure_nickname_is_held_by_default(api, checks_on, nickname):
    token, _ = log_in("ann")
    _nickname(api, token, "Ann")
    response = _nickname(api, token, nickname)
    assert response.status_code == 200
    assert response.json()["nickname"] == "Ann"
    assert response.json()["pending"] == {"nickname": nickname, "avatar": False}
    assert WxUser.objects.get().nickname == "Ann"
    # Another login answers the published nickname only.
    again = APIClient().post("/wx/login/", {"code": fresh_code("ann")}, format="json")
    assert again.json()["user"]["nickname"] == "Ann"
    review = ContentReview.objects.get(status="pending")
    assert review.suggest == ("review" if "review" in nickname else "")


@pytest.mark.parametrize("nickname", ["please review me", "err.-1 Ann"])
def test_an_unsure_nickname_is_published_when_told_to_accept(api, checks_on, nickname):
    checks_on.WXLOGIN = {**checks_on.WXLOGIN, "CONTENT_CHECK_UNSURE": "accept"}
    token, _ = log_in("ann")
    response = _nickname(api, token, nickname)
    assert response.status_code == 200 and response.json()["nickname"] == nickname
    assert not ContentReview.objects.exists()


def test_a_person_not_active_lately_is_unchecked(api, checks_on, fake_wechat: FakeWeChat):
    token, _ = log_in("ann")
    WxUser.objects.update(openid="o-never-seen-by-wechat")
    response = _nickname(api, token, "Ann")
    assert response.status_code == 200
    assert response.json()["pending"]["nickname"] == "Ann"
    assert WxUser.objects.get().nickname == ""


def test_a_newer_nickname_replaces_the_pending_one(api, checks_on):
    token, _ = log_in("ann")
    _nickname(api, token, "review one")
    _nickname(api, token, "review two")
    assert list(ContentReview.objects.values_list("value", flat=True)) == ["review two"]
    response = _nickname(api, token, "Ann")
    assert response.json()["nickname"] == "Ann"
    assert response.json()["pending"]["nickname"] is None
    assert not ContentReview.objects.exists()


def test_checks_off_publish_at_once_without_calling_wechat(api, fake_wechat: FakeWeChat):
    token, _ = log_in("ann")
    before = len(fake_wechat.calls("/wxa/msg_sec_check"))
    response = _nickname(api, token, "so risky")
    assert response.status_code == 200 and response.json()["nickname"] == "so risky"
    assert len(fake_wechat.calls("/wxa/msg_sec_check")) == before


def test_a_projects_own_checker(api, settings, refused):
    settings.WXLOGIN = {**settings.WXLOGIN,
                        "CONTENT_CHECKS": "tests.moderation.conftest.RefuseCats"}
    token, _ = log_in("ann")
    assert _nickname(api, token, "dog person").json()["nickname"] == "dog person"
    response = _nickname(api, token, "cat person")
    assert response.status_code == 400 and response.json()["code"] == "risky_content"
    assert refused[0]["label"] == 7


def test_a_checker_that_fails_is_unchecked_never_a_500(api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "CONTENT_CHECKS": "tests.moderation.conftest.Broken"}
    token, _ = log_in("ann")
    response = _nickname(api, token, "Ann")
    assert response.status_code == 200
    assert response.json()["pending"]["nickname"] == "Ann"


def test_checked_changes_are_limited_per_person(api, checks_on, fresh_window,
                                                 fake_wechat: FakeWeChat):
    checks_on.WXLOGIN = {**checks_on.WXLOGIN, "CONTENT_CHECK_RATE": "2/h"}
    token, _ = log_in("ann")
    other, _ = log_in("bob")
    assert [_nickname(api, token, f"Ann {n}").status_code for n in range(3)] == [200, 200, 429]
    before = len(fake_wechat.calls("/wxa/msg_sec_check"))
    assert _nickname(api, token, "Ann 4").json()["code"] == "throttled"
    assert len(fake_wechat.calls("/wxa/msg_sec_check")) == before  # no WeChat call spent
    assert _nickname(api, other, "Bob").status_code == 200  # each person has their own
    checks_on.WXLOGIN = {**checks_on.WXLOGIN, "CONTENT_CHECKS": None}
    assert _nickname(api, token, "Ann 5").status_code == 200  # nothing to spend when off
