"""A mini program with message push on, a live server to push to, and a recorder of what the
handlers and the signal received."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from django_wxlogin import signals
from django_wxlogin.push import dispatch

APPID = "wxtestapp0000001"
TOKEN = "pushtoken123"
_times = itertools.count(1_700_000_000)
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters


@pytest.fixture
def push_settings(settings: Any) -> dict[str, Any]:
    """The suite's app, NAME "main", with a Token and an EncodingAESKey (safe mode)."""
    settings.WXLOGIN = {**{k: v for k, v in settings.WXLOGIN.items()
                           if k not in ("APPID", "SECRET")},
                        "APPS": [{"APPID": APPID, "SECRET": settings.WXLOGIN["SECRET"],
                                  "NAME": "main", "TOKEN": TOKEN, "ENCODING_AES_KEY": AES_KEY}]}
    return settings.WXLOGIN["APPS"][0]


@pytest.fixture
def push_url(live_server: Any, push_settings: dict[str, Any]) -> str:
    return f"{live_server.url}/wx/push/main/"


@pytest.fixture
def received() -> Iterator[list[Any]]:
    """Every message the ``test_event`` handler got, then the signal (as ("signal", msg))."""
    got: list[Any] = []

    def handler(message: dispatch.PushMessage) -> None:
        got.append(message)

    def receiver(sender: Any, message: dispatch.PushMessage, **kwargs: Any) -> None:
        got.append(("signal", sender.appid, message.message_id))

    dispatch.handles("test_event")(handler)
    signals.push_received.connect(receiver, dispatch_uid="test_push_received")
    yield got
    dispatch._handlers["test_event"].remove(handler)
    signals.push_received.disconnect(dispatch_uid="test_push_received")


def event(name: str = "test_event", **fields: Any) -> dict[str, Any]:
    """An event, each call's distinct (its CreateTime) unless ``CreateTime`` is given."""
    return {"ToUserName": "gh_test", "FromUserName": "oFROM", "CreateTime": next(_times),
            "MsgType": "event", "Event": name, **fields}
