"""Avatars are re-encoded (pixels only, under a pixel cap), stored through Django's storage,
deleted when replaced or when their identity goes, and uploads are limited per user."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from django_wxlogin import avatars
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


def _png_with_corrupt_pixels() -> io.BytesIO:
    """A PNG whose chunks all carry valid CRCs around pixel data that does not decode (rows with
    an unknown filter type)."""
    data = _image("PNG", size=(64, 64)).getvalue()
    start = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[start:start + 4])[0]
    pixels = zlib.compress(bytes([9]) * (64 * (1 + 64 * 3)))  # filter type 9 does not exist
    chunk = b"IDAT" + pixels
    corrupt = data[:start] + struct.pack(">I", len(pixels)) + chunk + \
        struct.pack(">I", zlib.crc32(chunk)) + data[start + 12 + length:]
    buffer = io.BytesIO(corrupt)
    buffer.name = "avatar.png"
    return buffer


def _truncated(fmt: str) -> io.BytesIO:
    whole = _image(fmt, size=(256, 256), mode="RGB" if fmt == "JPEG" else "P").getvalue()
    buffer = io.BytesIO(whole[:len(whole) * 2 // 3])
    buffer.name = f"avatar.{fmt.lower()}"
    return buffer


@pytest.mark.parametrize("upload", [lambda: _truncated("JPEG"), lambda: _truncated("GIF"),
                                    _png_with_corrupt_pixels], ids=["jpeg", "gif", "png"])
def test_an_image_that_does_not_decode_is_a_400(api, upload):
    token, _ = log_in("ann")
    response = _upload(api, token, upload())
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_request" and response.json()["errors"]["avatar"]
    assert _stored() == ""


def test_a_large_jpeg_is_decoded_small(api):
    token, _ = log_in("ann")
    upload = _image("JPEG", size=(4096, 3072), quality=30)
    assert len(upload.getvalue()) < 200_000  # cheap to send
    response = _upload(api, token, upload)
    assert response.status_code == 200, response.content
    with default_storage.open(_stored()) as stored, Image.open(stored) as image:
        assert image.size == (1024, 768)  # AVATAR_MAX_SIDE


def test_the_default_pixel_cap_is_2048_squared(api):
    token, _ = log_in("ann")
    response = _upload(api, token, _image("PNG", size=(2049, 2048), mode="1"))
    assert response.status_code == 400 and response.json()["errors"]["avatar"]


def test_decodes_wait_for_a_slot_then_get_a_503(api, settings, monkeypatch):
    settings.WXLOGIN = {**settings.WXLOGIN, "AVATAR_CONCURRENT_DECODES": 1}
    monkeypatch.setattr(avatars, "DECODE_WAIT", 0.2)
    token, _ = log_in("ann")
    slot = avatars._decode_slot()
    assert slot.acquire(timeout=1)  # another upload being decoded
    try:
        busy = _upload(api, token, _image())
    finally:
        slot.release()
    assert busy.status_code == 503 and busy.json()["code"] == "service_unavailable"
    assert _upload(api, token, _image()).status_code == 200
