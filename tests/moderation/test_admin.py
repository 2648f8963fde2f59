"""The admin of content reviews: pending content is visible and can be approved or refused by
hand; refused content is gone from it."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from django_wxlogin.models import WxUser
from django_wxlogin.moderation.models import ContentReview

from ..conftest import bearer, log_in
from .conftest import image

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/django_wxlogin/contentreview/"


@pytest.fixture
def held(api, checks_on):
    token, _ = log_in("ann")
    api.patch("/wx/profile/", {"nickname": "please review Ann"}, format="json", **bearer(token))
    api.patch("/wx/profile/", {"avatar": image()}, format="multipart", **bearer(token))
    return ContentReview.objects.get(kind="nickname"), ContentReview.objects.get(kind="avatar")


def _act(admin_client, action: str, *reviews: ContentReview):
    return admin_client.post(CHANGELIST, {"action": action,
                                          "_selected_action": [r.pk for r in reviews]},
                             follow=True)


def test_pending_content_is_listed(admin_client, held):
    page = admin_client.get(CHANGELIST + "?status=pending").content.decode()
    assert "please review Ann" in page
    assert default_storage.url(held[1].value) in page


def test_approve_by_hand(admin_client, held):
    assert "Published 2 items." in _act(admin_client, "approve", *held).content.decode()
    wxuser = WxUser.objects.get()
    assert wxuser.nickname == "please review Ann" and wxuser.avatar_file == held[1].value
    assert not ContentReview.objects.exists()


def test_refuse_by_hand(admin_client, held):
    assert "Refused 2 items." in _act(admin_client, "refuse", *held).content.decode()
    assert WxUser.objects.get().nickname == "" and not default_storage.exists(held[1].value)
    assert set(ContentReview.objects.values_list("status", "value", "decided_by")) == \
        {("refused", "", "operator")}
    page = admin_client.get(CHANGELIST + "?status=refused").content.decode()
    assert "please review Ann" not in page
    # Deciding again changes nothing.
    assert "Refused 0 items." in _act(admin_client, "refuse", *held).content.decode()
