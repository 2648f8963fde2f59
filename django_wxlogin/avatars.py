"""Avatar files: decoded under a pixel cap and written anew, so that what is stored is only
pixels (no EXIF with a GPS position, no comment, no HTML or script riding along in a polyglot),
through Django's storage API (a cloud storage backend works), and deleted when replaced or when
their identity goes.

A decode's memory is bounded: a JPEG is decoded straight at the smallest scale (1/2, 1/4 or 1/8)
that still covers ``AVATAR_MAX_SIDE`` (Pillow's draft mode), every image is refused when what
would be decoded has more than ``AVATAR_MAX_PIXELS`` pixels, and a process decodes at most
``AVATAR_CONCURRENT_DECODES`` avatars at a time (the others wait, then get a 503). A file that
Pillow cannot decode (truncated, corrupt pixel data) is a 400, like any bad upload.
"""

from __future__ import annotations

import io
import threading
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps
from rest_framework import serializers

from .exceptions import ServiceUnavailable
from .settings import wxlogin_settings

# The upload's format -> what it is stored as (Pillow's format name and the file's extension);
# a GIF becomes a PNG of its first frame.
STORED_AS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp"),
             "GIF": ("PNG", "png")}
MODES = {"JPEG": ("RGB", "L"), "PNG": ("1", "L", "LA", "P", "RGB", "RGBA"),
         "WEBP": ("RGB", "RGBA")}
# What Pillow raises for a file it cannot decode: truncated, corrupt data, a bad header.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)
DECODE_WAIT = 10.0  # seconds an upload waits for a decode slot before a 503

_slots_lock = threading.Lock()
_slots: list[tuple[int, threading.BoundedSemaphore]] = []  # (size, semaphore), made on first use


def _decode_slot() -> threading.BoundedSemaphore:
    """This process's ``AVATAR_CONCURRENT_DECODES`` slots (remade when the setting changes)."""
    size = max(1, int(wxlogin_settings.AVATAR_CONCURRENT_DECODES))
    with _slots_lock:
        if not _slots or _slots[0][0] != size:
            _slots[:] = [(size, threading.BoundedSemaphore(size))]
        return _slots[0][1]


def reencode(upload: Any) -> tuple[ContentFile, str]:
    """A fresh image file of the upload's pixels only (at most ``AVATAR_MAX_SIDE`` a side), and
    its extension; a 400 for an image of more than ``AVATAR_MAX_PIXELS`` pixels to decode
    (refused before its pixels are decoded) or one that does not decode."""
    slot = _decode_slot()
    if not slot.acquire(timeout=DECODE_WAIT):
        raise ServiceUnavailable()
    try:
        upload.seek(0)
        return _reencode(upload)
    except DECODE_ERRORS:
        raise serializers.ValidationError(
            _("The avatar could not be decoded: it is truncated or corrupt."),
            code="invalid_image") from None
    finally:
        slot.release()


def _reencode(upload: Any) -> tuple[ContentFile, str]:
    side = int(wxlogin_settings.AVATAR_MAX_SIDE)
    with Image.open(upload) as image:
        if image.format == "JPEG":
            image.draft(image.mode, (side, side))
        width, height = image.size  # what will be decoded (a JPEG's after the draft)
        if width * height > wxlogin_settings.AVATAR_MAX_PIXELS:
            raise serializers.ValidationError(
                _("The avatar has more than %(limit)d pixels.")
                % {"limit": wxlogin_settings.AVATAR_MAX_PIXELS}, code="too_many_pixels")
        image_format, extension = STORED_AS[str(image.format)]
        image.thumbnail((side, side))  # decoded, then shrunk in place: one full-size buffer
        pixels = ImageOps.exif_transpose(image)  # the orientation the EXIF asked for, applied
    if pixels.mode not in MODES[image_format]:
        pixels = pixels.convert("RGBA" if "A" in pixels.mode and image_format != "JPEG"
                                else "RGB")
    pixels.info = {}  # nothing of the original's metadata (ICC, EXIF, text) goes with it
    out = io.BytesIO()
    pixels.save(out, image_format)
    return ContentFile(out.getvalue()), extension


def save(reencoded: tuple[ContentFile, str]) -> str:
    """Store a ``reencode``d upload under ``AVATAR_UPLOAD_TO``; its storage name."""
    content, extension = reencoded
    return default_storage.save(
        f"{wxlogin_settings.AVATAR_UPLOAD_TO}{uuid.uuid4().hex}.{extension}", content)


def delete_later(name: str) -> None:
    """Delete a stored avatar once the transaction that dropped it commits."""
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))
