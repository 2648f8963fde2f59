"""Avatar files: decoded under a pixel cap and written anew, so that what is stored is only
pixels (no EXIF with a GPS position, no comment, no HTML or script riding along in a polyglot),
through Django's storage API (a cloud storage backend works), and deleted when replaced or when
their identity goes."""

from __future__ import annotations

import io
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps
from rest_framework import serializers

from .settings import wxlogin_settings

# The upload's format -> what it is stored as (Pillow's format name and the file's extension);
# a GIF becomes a PNG of its first frame.
STORED_AS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp"),
             "GIF": ("PNG", "png")}
MODES = {"JPEG": ("RGB", "L"), "PNG": ("1", "L", "LA", "P", "RGB", "RGBA"),
         "WEBP": ("RGB", "RGBA")}


def reencode(upload: Any) -> tuple[ContentFile, str]:
    """A fresh image file of the upload's pixels only, and its extension; a 400 for an image of
    more than ``AVATAR_MAX_PIXELS`` pixels, refused before its pixels are decoded."""
    upload.seek(0)
    with Image.open(upload) as image:
        width, height = image.size
        if width * height > wxlogin_settings.AVATAR_MAX_PIXELS:
            raise serializers.ValidationError(
                _("The avatar has more than %(limit)d pixels.")
                % {"limit": wxlogin_settings.AVATAR_MAX_PIXELS}, code="too_many_pixels")
        image_format, extension = STORED_AS[str(image.format)]
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
