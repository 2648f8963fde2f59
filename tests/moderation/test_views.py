"""GET moderation/media/<token>/: the held avatar for its checker, while its review is pending
and the window lasts; a 404 otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from django_wxlogin.moderation import media, reviews

from ..conftest import bearer, log_in
from .conftest import image, pending_review

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def held(api, checks_on):
    token, _ = log_in("ann")
    api.patch("/wx/profile/", {"avatar": image()}, format="multipart", **bearer(token))
    return pending_review()


def _get(api, review_id: int):
    return api.get(f"/wx/moderation/media/{media.sign(review_id)}/")


def test_the_checker_fetches_the_held_file(api, held):
    response = _get(api, held.pk)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with default_storage.open(held.value) as stored:
        assert b"".join(response.streaming_content) == stored.read()
    assert response["Cache-Control"] == "no-store"


def test_a_forged_or_foreign_token_is_a_404(api, held):
    assert api.get("/wx/moderation/media/1:abc:def/").status_code == 404
    assert api.get(f"/wx/moderation/media/{media.sign(held.pk + 1)}/").status_code == 404
    forged = media.sign(held.pk).replace(":", ":x", 1)
    assert api.get(f"/wx/moderation/media/{forged}/").json()["code"] == "not_found"


def test_the_url_dies_with_the_window(api, held):
    url = f"/wx/moderation/media/{media.sign(held.pk)}/"
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=5)):
        assert api.get(url).status_code == 404


def test_the_url_dies_with_the_verdict(api, held):
    reviews.apply_verdict(held.trace_id, "pass")
    assert _get(api, held.pk).status_code == 404
