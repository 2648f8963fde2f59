"""Handing a verified push to whoever handles its event.

Features register with ``@handles("event_name")``; the receiver calls :func:`dispatch` once per
message (WeChat's retries of it are answered without calling again). Handlers run in one
transaction: any of them raising rolls all of them back, and the receiver answers so that
WeChat retries. They should be quick (WeChat waits five seconds) and idempotent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .. import signals
from ..settings import WxApp


@dataclass(frozen=True)
class PushMessage:
    """One decoded push. ``data`` holds the keys as WeChat sends them (``Event``, ``OpenID``,
    ``CreateTime``...); ``message_id`` is WeChat's ``MsgId``, or a digest of the message,
    the same for each of WeChat's retries."""

    app: WxApp
    event: str
    data: dict[str, Any] = field(repr=False)
    message_id: str

    @classmethod
    def from_data(cls, app: WxApp, data: dict[str, Any]) -> PushMessage:
        msg_type = str(data.get("MsgType", ""))
        event = str(data.get("Event", "")) if msg_type == "event" or not msg_type else msg_type
        msg_id = data.get("MsgId") or data.get("MsgID")
        if not msg_id:
            canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
            msg_id = hashlib.sha256(canonical.encode()).hexdigest()[:32]
        return cls(app=app, event=event, data=data, message_id=str(msg_id)[:64])

    @property
    def openid(self) -> str:
        """The person the event is about: ``OpenID`` (user events), else ``FromUserName``."""
        return str(self.data.get("OpenID") or self.data.get("FromUserName") or "")


Handler = Callable[[PushMessage], None]
_handlers: dict[str, list[Handler]] = {}


def handles(event: str) -> Callable[[Handler], Handler]:
    """Register ``handler(message)`` for pushes whose event (or message type) is ``event``."""
    def register(handler: Handler) -> Handler:
        registered = _handlers.setdefault(event, [])
        if handler not in registered:
            registered.append(handler)
        return handler
    return register


def handlers_of(event: str) -> list[Handler]:
    return list(_handlers.get(event, ()))


def dispatch(message: PushMessage) -> None:
    """Run the event's handlers in one transaction, then, once it commits, send
    ``push_received`` (sender: the app)."""
    with transaction.atomic():
        for handler in handlers_of(message.event):
            handler(message)
        transaction.on_commit(lambda: signals.push_received.send(
            sender=message.app, message=message))
