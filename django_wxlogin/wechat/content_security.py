"""WeChat's content security API, version 2: ``msgSecCheck`` for text (answered at once) and
``mediaCheckAsync`` for images (WeChat downloads the image and pushes its verdict later, as the
``wxa_media_check`` event, matched by ``trace_id``).

Both calls go through ``access_token.for_app(...).request``, and so through
``WeChatClient.request``: whatever the client does to every call (API signing included) applies
to them too. Version 1 of both is frozen since 2021-09-01; nothing here sends a v1 body.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..exceptions import WeChatUnavailable
from ..settings import WxApp
from .access_token import for_app

logger = logging.getLogger("django_wxlogin.wechat")

SCENE_PROFILE = 1  # 1 profile, 2 comment, 3 forum, 4 social log
MEDIA_TYPE_IMAGE = 2
SUGGESTIONS = ("pass", "review", "risky")
MAX_TEXT_LENGTH = 2500


@dataclass(frozen=True)
class Suggestion:
    """WeChat's verdict: ``suggest`` is "pass", "review" or "risky"; ``label`` its category
    (100 normal, 10001 ads, 20001 politics, 20002 porn, ...)."""

    suggest: str
    label: int | None = None


def parse_result(data: Any) -> Suggestion:
    """The ``result`` of a msgSecCheck answer or a ``wxa_media_check`` push; anything else
    than the three known verdicts is ``WeChatUnavailable`` (no verdict is no pass)."""
    result = data.get("result") if isinstance(data, dict) else None
    suggest = result.get("suggest") if isinstance(result, dict) else None
    if suggest not in SUGGESTIONS:
        logger.warning("WeChat's content check answered without a known verdict")
        raise WeChatUnavailable()
    label = result.get("label")  # type: ignore[union-attr]
    return Suggestion(suggest, label if isinstance(label, int) else None)


def check_text(app: WxApp, openid: str, content: str,
               scene: int = SCENE_PROFILE) -> Suggestion:
    """msgSecCheck v2 of ``content`` written by ``openid`` (who must have used the mini
    program in the last 2 hours, or WeChat answers 61010)."""
    data = for_app(app).request("POST", "/wxa/msg_sec_check", json={
        "version": 2, "openid": openid, "scene": scene, "content": content[:MAX_TEXT_LENGTH]})
    return parse_result(data)


def start_image_check(app: WxApp, openid: str, media_url: str,
                      scene: int = SCENE_PROFILE) -> str:
    """Ask WeChat to fetch ``media_url`` and check the image; its ``trace_id``, which the
    verdict pushed later carries."""
    data = for_app(app).request("POST", "/wxa/media_check_async", json={
        "version": 2, "openid": openid, "scene": scene, "media_url": media_url,
        "media_type": MEDIA_TYPE_IMAGE})
    trace_id = data.get("trace_id")
    if not isinstance(trace_id, str) or not trace_id or len(trace_id) > 64:
        logger.warning("WeChat's media_check_async answered without a usable trace_id")
        raise WeChatUnavailable()
    return trace_id
