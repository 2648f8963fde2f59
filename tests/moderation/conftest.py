"""Content checks on, against the suite's fake WeChat."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from django_wxlogin.moderation.checkers import ContentChecker, Outcome
from django_wxlogin.moderation.models import ContentReview

from ..push.conftest import push_settings  # noqa: F401  (the message push's fixture)


@pytest.fixture
def checks_on(settings: Any) -> Any:
    settings.WXLOGIN = {**settings.WXLOGIN, "CONTENT_CHECKS": "wechat"}
    return settings


def image(color: tuple[int, int, int] = (0, 128, 0), fmt: str = "PNG") -> io.BytesIO:
    """An 8x8 image of one colour (the fake's verdict reads its top-left pixel)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, fmt)
    buffer.seek(0)
    buffer.name = f"avatar.{fmt.lower()}"
    return buffer


RED, YELLOW, BLUE = (255, 0, 0), (255, 255, 0), (0, 0, 255)


def pending_review(kind: str = "avatar") -> ContentReview:
    return ContentReview.objects.get(kind=kind, status="pending")


class RefuseCats(ContentChecker):
    """A project's own checker: nicknames with "cat" are risky, images wait for a verdict."""

    def check_text(self, wxuser: Any, text: str) -> Outcome:
        return Outcome("risky" if "cat" in text else "pass", label=7)

    def check_image(self, wxuser: Any, url: str) -> Outcome:
        return Outcome("pending", trace_id=f"own-{wxuser.pk}")


class Broken(ContentChecker):
    def check_text(self, wxuser: Any, text: str) -> Outcome:
        raise RuntimeError("the moderation service is down")

    def check_image(self, wxuser: Any, url: str) -> Outcome:
        return "not an outcome"  # type: ignore[return-value]
