"""A login code posted several times at once is exchanged with WeChat once."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from django_wxlogin.models import WxSession

from ..conftest import fresh_code, run_together

pytestmark = pytest.mark.django_db(transaction=True)


def _post_together(code: str, count: int) -> list:
    return run_together(count, lambda: APIClient().post("/wx/login/", {"code": code},
                                                        format="json"))


def test_a_double_tap_is_exchanged_once(fake_wechat):
    code = fresh_code("wendy")
    before = len(fake_wechat.calls("/sns/jscode2session"))
    responses = _post_together(code, 5)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409, 409, 409, 409], [r.content for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"duplicate_code"}
    assert len(fake_wechat.calls("/sns/jscode2session")) == before + 1
    assert WxSession.objects.live().count() == 1


def test_a_retry_after_success_is_a_409_not_a_logout(api):
    code = fresh_code("xena")
    assert api.post("/wx/login/", {"code": code}, format="json").status_code == 200
    retry = api.post("/wx/login/", {"code": code}, format="json")
    assert retry.status_code == 409 and retry.json()["code"] == "duplicate_code"


def test_duplicates_of_a_failed_exchange_get_the_same_error(api, fake_wechat):
    before = len(fake_wechat.calls("/sns/jscode2session"))
    responses = _post_together("err.45011", 3)
    assert [r.status_code for r in responses] == [429, 429, 429]
    assert {r.json()["code"] for r in responses} == {"wechat_rate_limited"}
    assert len(fake_wechat.calls("/sns/jscode2session")) == before + 1


def test_without_redis_the_exchange_still_happens(api, private_redis):
    private_redis.kill()
    assert api.post("/wx/login/", {"code": fresh_code("yuri")}, format="json").status_code == 200


def test_a_busy_wechat_lets_the_same_code_be_retried_shortly(api, fake_wechat):
    assert api.post("/wx/login/", {"code": "err.-1"}, format="json").status_code == 503
    time.sleep(3.2)
    before = len(fake_wechat.calls("/sns/jscode2session"))
    assert api.post("/wx/login/", {"code": "err.-1"}, format="json").status_code == 503
    assert len(fake_wechat.calls("/sns/jscode2session")) == before + 1
