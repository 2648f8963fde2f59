"""WeChat's message push, played by the fake: ``fake.push(url, ...)`` posts a message to a
receiver signed (and, in safe or compatible mode, encrypted) as WeChat does, and
``fake.verify_url(url, token)`` makes the console's URL check.

Modes: ``"plain"`` (明文: the message as is, only the query signed), ``"compatible"`` (兼容:
the message and its ``Encrypt`` copy), ``"safe"`` (安全: ``Encrypt`` only); by default safe
with an ``encoding_aes_key``, plain without. ``timestamp``, ``nonce`` and ``signature`` may be
given to replay or forge a push. Answers are ``requests.Response`` objects.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, ClassVar

import requests

from .. import push_protocol

MODES = ("plain", "compatible", "safe")


class PushAPI:
    """Pushes to a receiver; declares no routes (WeChat calls the backend, not the reverse)."""

    ROUTES: ClassVar[dict[tuple[str, str], str]] = {}

    def push(self, url: str, *, appid: str, message: dict[str, Any], token: str,
             encoding_aes_key: str | None = None, format: str = "json",
             mode: str | None = None, timestamp: str | None = None, nonce: str | None = None,
             signature: str | None = None, msg_signature: str | None = None,
             timeout: float = 10) -> requests.Response:
        mode = mode or ("safe" if encoding_aes_key else "plain")
        if mode not in MODES or format not in push_protocol.FORMATS:
            raise ValueError(f"mode is one of {MODES}, format json or xml")
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        params = {"signature": signature or push_protocol.signature(token, timestamp, nonce),
                  "timestamp": timestamp, "nonce": nonce}
        body: dict[str, Any] = dict(message)
        if mode != "plain":
            if not encoding_aes_key:
                raise ValueError(f"{mode} mode needs an encoding_aes_key")
            envelope = push_protocol.encrypt(encoding_aes_key, appid,
                                             push_protocol.dumps(message, format))
            outer = {"ToUserName": message.get("ToUserName", "gh_fake"), "Encrypt": envelope}
            body = {**message, "Encrypt": envelope} if mode == "compatible" else outer
            params.update(encrypt_type="aes", msg_signature=msg_signature or
                          push_protocol.signature(token, timestamp, nonce, envelope))
        content_type = "application/json" if format == "json" else "text/xml"
        return requests.post(url, params=params, data=push_protocol.dumps(body, format),
                             headers={"Content-Type": content_type}, timeout=timeout)

    def verify_url(self, url: str, token: str, *, echostr: str = "",
                   timeout: float = 10) -> requests.Response:
        """The console's check when the URL is saved: ``GET`` with a signed ``echostr``."""
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        params = {"signature": push_protocol.signature(token, timestamp, nonce),
                  "timestamp": timestamp, "nonce": nonce,
                  "echostr": echostr or str(secrets.randbelow(10**18))}
        return requests.get(url, params=params, timeout=timeout)
