"""Avatars are re-encoded (pixels only, under a pixel cap), stored through Django's storage,
deleted when replaced or when their identity goes, and uploads are limited per user."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from django_wxlogin.models import WxUser

from .conftest import bearer, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def _image(fmt="PNG", size=(8, 8), mode="RGB", tail=b"", **save) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new(mode, size, 0).save(buffer, fmt, **save)
    buffer.write(tail)
    buffer.seek(0)
    buffer.name = f"avatar.{fmt.lower()}"
    return buffer


def _upload(api, token, image):
    return api.patch("/wx/profile/", {"avatar": image}, format="multipart", **bearer(token))


def _stored() -> str:
    return WxUser.objects.get().avatar_file


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (31.0, 14.0, 5.0), 1: "N"}  # GPSInfo: a position in Shanghai
    return exif.tobytes()


def test_exif_and_gps_are_stripped(api):
    token, _ = log_in("ann")
    response = _upload(api, token, _image("JPEG", exif=_gps_exif(), comment=b"secret note"))
    assert response.status_code == 200, response.content
    assert response.json()["avatar_url"].endswith(".jpg")
    with default_storage.open(_stored()) as stored:
        data = stored.read()
    assert b"PhoneMaker" not in data and b"Exif" not in data and b"secret note" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (8, 8)) and not image.getexif()


def test_a_polyglot_is_stored_as_pixels_only(api):
    token, _ = log_in("ann")
    script = b"<html><script>alert(document.cookie)</script></html>"
    assert _upload(api, token, _image("PNG", tail=script)).status_code == 200
    with default_storage.open(_stored()) as stored:
        assert script not in stored.read()


@pytest.mark.parametrize(("fmt", "stored"), [("GIF", ".png"), ("WEBP", ".webp"),
                                             ("PNG", ".png")])
def test_each_format_is_written_fresh(api, fmt, stored):
    token, _ = log_in("ann")
    response = _upload(api, token, _image(fmt, mode="RGBA" if fmt != "GIF" else "P"))
    assert response.status_code == 200, response.content
    assert _stored().endswith(stored)


@pytest.mark.parametrize("size", [(4097, 4096), (13000, 13000)])
def test_too_many_pixels_are_refused(api, size):
    token, _ = log_in("ann")
    response = _upload(api, token, _image("PNG", size=size, mode="1"))
    assert response.status_code == 400 and response.json()["errors"]["avatar"]
    assert _stored() == ""


def test_the_previous_file_is_deleted_when_replaced(api):
    token, _ = log_in("ann")
    _upload(api, token, _image())
    first = _stored()
    _upload(api, token, _image("JPEG"))
    second = _stored()
    assert second != first and default_storage.exists(second)
    assert not default_storage.exists(first)
    # An avatar URL of elsewhere replaces the file too.
    api.patch("/wx/profile/", {"avatar_url": "https://example.com/a.png"}, format="json",
              **bearer(token))
    assert _stored() == "" and not default_storage.exists(second)


def test_the_file_is_deleted_with_the_user(api):
    token, _ = log_in("ann")
    _upload(api, token, _image())
    name = _stored()
    assert os.path.exists(default_storage.path(name))
    WxUser.objects.get().user.delete()
    assert not default_storage.exists(name)


def test_uploads_are_limited_per_user(api, settings, fresh_window):
    settings.WXLOGIN = {**settings.WXLOGIN, "AVATAR_RATE": "2/h"}
    token, _ = log_in("ann")
    assert [_upload(api, token, _image()).status_code for _ in range(3)] == [200, 200, 429]
    # Other profile edits, and other users, are not limited by it.
    assert api.patch("/wx/profile/", {"nickname": "Ann"}, format="json",
                     **bearer(token)).status_code == 200
    other, _ = log_in("bob")
    assert _upload(api, other, _image()).status_code == 200
