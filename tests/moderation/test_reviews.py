"""Avatars with content checks on: stored but not published until a pass verdict; risky deletes
the file; a verdict acts once; no verdict in time follows AVATAR_REVIEW_EXPIRED."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from django_wxlogin import signals
from django_wxlogin.models import WxUser
from django_wxlogin.moderation import reviews
from django_wxlogin.moderation.models import ContentReview

from ..conftest import bearer, log_in
from .conftest import image, pending_review

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(api, token, picture=None):
    return api.patch("/wx/profile/", {"avatar": picture or image()}, format="multipart",
                     **bearer(token))


@pytest.fixture
def refused() -> list[dict]:
    seen: list[dict] = []
    signals.content_refused.connect(lambda sender, **kw: seen.append(kw), weak=False,
                                    dispatch_uid="test_refused_avatar")
    yield seen
    signals.content_refused.disconnect(dispatch_uid="test_refused_avatar")


def test_an_avatar_waits_for_its_pass(api, checks_on, fake_wechat):
    token, _ = log_in("ann")
    response = _upload(api, token)
    assert response.status_code == 200
    assert response.json()["avatar_url"] == ""
    assert response.json()["pending"] == {"nickname": None, "avatar": True}
    review = pending_review()
    assert default_storage.exists(review.value) and review.trace_id
    call = fake_wechat.calls("/wxa/media_check_async")[-1]["params"]
    assert (call["version"], call["scene"], call["media_type"]) == (2, 1, 2)
    assert "/wx/moderation/media/" in call["media_url"]
    # Others (and the owner's published profile) see no avatar until the verdict.
    assert WxUser.objects.get().avatar_url == ""
    assert reviews.apply_verdict(review.trace_id, "pass", 100)
    wxuser = WxUser.objects.get()
    assert wxuser.avatar_file == review.value and wxuser.avatar_url == review.url
    assert wxuser.avatar_url.endswith(review.value)
    assert api.get("/wx/profile/", **bearer(token)).json()["pending"]["avatar"] is False
    assert not ContentReview.objects.exists()


def test_a_risky_avatar_is_deleted_and_reported(api, checks_on, refused):
    token, _ = log_in("ann")
    _upload(api, token)
    published = WxUser.objects.get()
    review = pending_review()
    assert reviews.apply_verdict(review.trace_id, "risky", 20002)
    assert not default_storage.exists(review.value)
    review.refresh_from_db()
    assert (review.status, review.value, review.label, review.decided_by) == \
        ("refused", "", 20002, "checker")
    assert WxUser.objects.get().avatar_url == published.avatar_url
    assert [(r["kind"], r["label"]) for r in refused] == [("avatar", 20002)]


def test_a_verdict_acts_once(api, checks_on):
    token, _ = log_in("ann")
    _upload(api, token)
    review = pending_review()
    assert reviews.apply_verdict(review.trace_id, "risky", 20002)
    # A replayed or contrary verdict for the same trace_id changes nothing.
    assert not reviews.apply_verdict(review.trace_id, "pass", 100)
    assert WxUser.objects.get().avatar_url == ""
    assert ContentReview.objects.get().status == "refused"


def test_a_verdict_for_another_mini_program_changes_nothing(api, checks_on):
    token, _ = log_in("ann")
    _upload(api, token)
    review = pending_review()
    assert not reviews.apply_verdict(review.trace_id, "pass", appid="wxsomeoneelse")
    assert not reviews.apply_verdict("no-such-trace", "pass")
    assert not reviews.apply_verdict(review.trace_id, "maybe")
    assert pending_review().pk == review.pk and WxUser.objects.get().avatar_url == ""


def test_a_verdict_pushed_before_the_trace_id_was_saved(api, checks_on, settings):
    settings.WXLOGIN = {**settings.WXLOGIN,
                        "CONTENT_CHECKS": "tests.moderation.conftest.RefuseCats"}
    token, _ = log_in("ann")
    user_pk = WxUser.objects.get().pk
    assert not reviews.apply_verdict(f"own-{user_pk}", "pass")  # no review has it yet
    _upload(api, token)
    assert WxUser.objects.get().avatar_url != ""  # applied the moment the trace_id was saved


def test_a_newer_avatar_replaces_the_pending_one(api, checks_on):
    token, _ = log_in("ann")
    _upload(api, token)
    first = pending_review()
    _upload(api, token, image((0, 0, 128), "JPEG"))
    second = pending_review()
    assert second.pk != first.pk and not default_storage.exists(first.value)
    assert not reviews.apply_verdict(first.trace_id, "pass")
    # Dropping the avatar withdraws the pending one too.
    api.patch("/wx/profile/", {"avatar_url": ""}, format="json", **bearer(token))
    assert not ContentReview.objects.exists() and not default_storage.exists(second.value)


def test_an_avatar_url_is_checked_as_well(api, checks_on, fake_wechat):
    token, _ = log_in("ann")
    response = api.patch("/wx/profile/", {"avatar_url": "https://example.com/a.png"},
                         format="json", **bearer(token))
    assert response.json()["avatar_url"] == "" and response.json()["pending"]["avatar"]
    assert fake_wechat.calls("/wxa/media_check_async")[-1]["params"]["media_url"] == \
        "https://example.com/a.png"
    assert reviews.apply_verdict(pending_review().trace_id, "pass")
    assert WxUser.objects.get().avatar_url == "https://example.com/a.png"


@pytest.mark.parametrize(("expired", "published"), [("drop", False), ("publish", True)])
def test_no_verdict_in_time(api, checks_on, expired, published):
    checks_on.WXLOGIN = {**checks_on.WXLOGIN, "AVATAR_REVIEW_EXPIRED": expired}
    token, _ = log_in("ann")
    _upload(api, token)
    review = pending_review()
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        answer = api.get("/wx/profile/", **bearer(token)).json()
    assert answer["pending"]["avatar"] is False
    assert bool(answer["avatar_url"]) is published
    assert default_storage.exists(review.value) is published
    assert not reviews.apply_verdict(review.trace_id, "pass")  # too late


def test_the_command_ends_overdue_reviews(api, checks_on):
    token, _ = log_in("ann")
    _upload(api, token)
    review = pending_review()
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        call_command("wxlogin_reviews", stdout=(out := __import__("io").StringIO()))
    assert "window ended: 1" in out.getvalue() and "avatar expired: 1" in out.getvalue()
    assert not default_storage.exists(review.value)


def test_wechat_down_holds_the_avatar_or_accepts_it(api, checks_on, fake_wechat):
    token, _ = log_in("ann")
    fake_wechat.expire_access_tokens()
    checks_on.WXLOGIN = {**checks_on.WXLOGIN, "API_BASE_URL": "http://127.0.0.1:9"}
    assert _upload(api, token).status_code == 200
    assert pending_review().trace_id == ""  # held for an operator or the window's end
    checks_on.WXLOGIN = {**checks_on.WXLOGIN, "CONTENT_CHECK_UNSURE": "accept"}
    response = _upload(api, token)
    assert response.status_code == 200 and response.json()["avatar_url"]
    assert response.json()["pending"]["avatar"] is False


def test_a_held_avatar_goes_with_its_identity(api, checks_on):
    token, _ = log_in("ann")
    _upload(api, token)
    name = pending_review().value
    WxUser.objects.get().user.delete()  # unbinding, erasure or the admin: the row cascades
    assert not ContentReview.objects.exists() and not default_storage.exists(name)
