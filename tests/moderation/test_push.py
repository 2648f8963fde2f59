"""Over real HTTP: the fake WeChat downloads the held avatar from the live server's signed URL
and pushes its verdict to the live server's push receiver, encrypted; a forged or replayed
verdict changes nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from django.core.files.storage import default_storage

from django_wxlogin.models import WxUser
from django_wxlogin.moderation.models import ContentReview

from ..conftest import fresh_code
from ..push.conftest import AES_KEY, APPID, TOKEN
from .conftest import BLUE, RED, YELLOW, image

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(live_server, push_settings, fake_wechat, settings, request) -> Any:
    fmt = getattr(request, "param", "json")
    settings.WXLOGIN = {**settings.WXLOGIN, "CONTENT_CHECKS": "wechat"}
    settings.WXLOGIN["APPS"][0]["PUSH_FORMAT"] = fmt
    fake_wechat.push_verdicts_to(APPID, f"{live_server.url}/wx/push/main/", token=TOKEN,
                                 encoding_aes_key=AES_KEY, format=fmt)
    yield live_server
    fake_wechat.push_targets.clear()


def _log_in(server) -> dict[str, str]:
    token = requests.post(f"{server.url}/wx/login/", json={"code": fresh_code("ann")},
                          timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _upload(server, auth, color) -> dict[str, Any]:
    response = requests.post(f"{server.url}/wx/profile/", headers=auth, timeout=10,
                             files={"avatar": ("a.png", image(color).read())})
    assert response.status_code == 200, response.text
    return response.json()


def _checked(fake_wechat) -> dict[str, Any]:
    """The fake's record of the latest media check, once it has downloaded (and pushed)."""
    record = list(fake_wechat.media_checks.values())[-1]  # asked for by the upload
    for _ in range(100):
        if "suggest" in record and (record["pushed"] or not record["suggest"]):
            return record
        time.sleep(0.05)
    raise AssertionError("the fake never checked the avatar")


@pytest.mark.parametrize("server", ["json", "xml"], indirect=True)
def test_a_pass_pushed_publishes_the_avatar(server, fake_wechat):
    auth = _log_in(server)
    held = _upload(server, auth, (0, 128, 0))
    assert held["avatar_url"] == "" and held["pending"]["avatar"]
    record = _checked(fake_wechat)
    assert (record["status"], record["suggest"], record["answer"]) == (200, "pass", 200)
    profile = requests.get(f"{server.url}/wx/profile/", headers=auth, timeout=10).json()
    assert profile["avatar_url"] and profile["pending"]["avatar"] is False
    assert WxUser.objects.get(openid=record["openid"]).avatar_url == profile["avatar_url"]


def test_a_risky_avatar_pushed_is_deleted(server, fake_wechat):
    auth = _log_in(server)
    _upload(server, auth, RED)
    name = ContentReview.objects.get().value
    assert _checked(fake_wechat)["suggest"] == "risky"
    assert ContentReview.objects.get().status == "refused"
    assert not default_storage.exists(name)
    assert requests.get(f"{server.url}/wx/profile/", headers=auth,
                        timeout=10).json()["avatar_url"] == ""


def test_a_review_verdict_is_held_for_an_operator(server, fake_wechat):
    auth = _log_in(server)
    _upload(server, auth, YELLOW)
    assert _checked(fake_wechat)["suggest"] == "review"
    review = ContentReview.objects.get()
    assert (review.status, review.suggest) == ("pending", "review")


def test_forged_and_replayed_verdicts_change_nothing(server, fake_wechat):
    auth = _log_in(server)
    _upload(server, auth, BLUE)  # WeChat never answers this one
    assert _checked(fake_wechat)["pushed"] is False
    review = ContentReview.objects.get()
    verdict = {"ToUserName": "gh_x", "FromUserName": "o", "CreateTime": int(time.time()),
               "MsgType": "event", "Event": "wxa_media_check", "appid": APPID,
               "trace_id": review.trace_id, "version": 2,
               "result": {"suggest": "pass", "label": 100}}
    url = f"{server.url}/wx/push/main/"
    forged = fake_wechat.push(url, appid=APPID, message=verdict, token="not-the-token",
                              encoding_aes_key=AES_KEY)
    assert forged.status_code == 403
    assert fake_wechat.push(url, appid=APPID, message=verdict, token=TOKEN).status_code >= 400
    assert ContentReview.objects.get().status == "pending"  # plaintext refused: a key is set
    risky = {**verdict, "result": {"suggest": "risky", "label": 20002}}
    first = fake_wechat.push(url, appid=APPID, message=risky, token=TOKEN,
                             encoding_aes_key=AES_KEY, timestamp=str(int(time.time())),
                             nonce="424242")
    assert first.status_code == 200 and ContentReview.objects.get().status == "refused"
    # The pass, replayed with the same timestamp and nonce, or anew: the avatar stays refused.
    fake_wechat.push(url, appid=APPID, message=verdict, token=TOKEN, encoding_aes_key=AES_KEY,
                     timestamp=str(int(time.time())), nonce="424242")
    fake_wechat.push(url, appid=APPID, message=verdict, token=TOKEN, encoding_aes_key=AES_KEY)
    assert ContentReview.objects.get().status == "refused"
    assert requests.get(f"{server.url}/wx/profile/", headers=auth,
                        timeout=10).json()["avatar_url"] == ""
