"""WeChat's avatar verdicts, as they arrive on the message-push receiver (``wxa_media_check``).

The receiver has verified the push (signature, decryption, freshness) and dropped WeChat's
retries of it before this runs; a verdict is matched by ``trace_id`` and the app that pushed
it, and changes only a review still pending, so a replay changes nothing either.
"""

from __future__ import annotations

import logging
from typing import Any

from ..push.dispatch import PushMessage, handles
from . import reviews

logger = logging.getLogger("django_wxlogin.moderation")


def _label(result: dict[str, Any]) -> int | None:
    label = result.get("label")  # a number in JSON, text in XML
    try:
        return int(label) if isinstance(label, int | str) else None
    except ValueError:
        return None


@handles("wxa_media_check")
def media_verdict(message: PushMessage) -> None:
    result = message.data.get("result")
    trace_id = message.data.get("trace_id")
    if not isinstance(result, dict) or not isinstance(trace_id, str):
        logger.warning("A wxa_media_check push without result or trace_id")
        return
    if not reviews.apply_verdict(trace_id, str(result.get("suggest", "")), _label(result),
                                 appid=message.app.appid):
        logger.info("A media verdict for no pending review (trace_id %s)", trace_id[:64])
