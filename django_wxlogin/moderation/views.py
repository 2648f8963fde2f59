"""``GET moderation/media/<token>/``: a held avatar, for the checker that fetches it (WeChat
downloads it from here). Anyone with the signed URL may read it until the review window ends or
the review is decided; then it is a 404 like any wrong token."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils import timezone
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from ..databases import primary
from ..schema import HAS_SPECTACULAR, errors, extend_schema
from ..settings import wxlogin_settings
from ..views import WxLoginAPIView
from . import media
from .models import ContentKind, ContentReview, ReviewStatus


def images() -> dict[Any, Any]:
    """The 200 answer: the image as stored (JPEG, PNG or WebP)."""
    if not HAS_SPECTACULAR:
        return {}
    from drf_spectacular.types import OpenApiTypes

    return {(200, media_type): OpenApiTypes.BINARY
            for media_type in ("image/jpeg", "image/png", "image/webp")}


class MediaView(WxLoginAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses={**images(), **errors(404, 405)})
    def get(self, request: Request, token: str) -> FileResponse:
        review_id = media.review_of(token, wxlogin_settings.avatar_review_timeout_seconds)
        name = None
        if review_id is not None:
            name = ContentReview.objects.using(primary(ContentReview)).filter(
                pk=review_id, kind=ContentKind.AVATAR, status=ReviewStatus.PENDING,
                expires_at__gt=timezone.now(),
            ).exclude(value="").values_list("value", flat=True).first()
        if not name:
            raise NotFound()
        try:
            content = default_storage.open(name)
        except OSError:
            raise NotFound() from None
        return FileResponse(content, content_type=mimetypes.guess_type(name)[0]
                            or "application/octet-stream")
