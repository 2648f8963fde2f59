"""WeChat's content security API in the fake: ``msgSecCheck`` v2 and ``mediaCheckAsync`` v2.

Both want an access token, ``version`` 2 (a v1 body, without it, answers 40097 as the frozen
v1 does for new apps), ``scene`` 1 to 4 and an ``openid`` that has logged in through the fake
(else 61010: "the user has not used the mini program in the last 2 hours").

``POST /wxa/msg_sec_check``: the verdict is scripted by the text:

========================  ================================================================
content                   answer
========================  ================================================================
contains ``risky``        ``suggest`` risky, ``label`` 20001
contains ``review``       ``suggest`` review, ``label`` 21000
``err.<errcode>...``      that errcode, e.g. ``err.-1 nick``, ``err.45009 nick``
``slow.<seconds>...``     pass, after that many seconds
anything else             pass, ``label`` 100
========================  ================================================================

``POST /wxa/media_check_async`` answers a ``trace_id`` at once; then, as WeChat does, the fake
downloads ``media_url`` and pushes the verdict, as event ``wxa_media_check``, to the URL set with
``push_verdicts_to(appid, url, token=..., encoding_aes_key=..., format=...)``, signed (and
encrypted when a key is given) like every push; a ``url`` that is a path is on the media URL's
host. The verdict is scripted by the image's
top-left pixel: red (255, 0, 0) is risky (label 20002), yellow (255, 255, 0) review, blue
(0, 0, 255) never gets a verdict; any other image passes. Nothing is pushed when the download
fails or is not an image. ``media_checks[trace_id]`` records each check (the download's HTTP
status, the verdict, whether it was pushed and the receiver's answer).
"""

from __future__ import annotations

import io
import re
import secrets
import threading
import time
from typing import Any, ClassVar
from urllib.parse import urljoin

import requests
from PIL import Image

from .server import FakeRequest, answer

_ERR = re.compile(r"err\.(-?[0-9]{1,6})")
_SLOW = re.compile(r"slow\.([0-9]{1,2}(?:\.[0-9]+)?)")
MEDIA_VERDICTS = {(255, 0, 0): ("risky", 20002), (255, 255, 0): ("review", 21000),
                  (0, 0, 255): ("", None)}


def media_verdict(image: bytes) -> tuple[str, int | None]:
    """The scripted verdict of an image by its top-left pixel ("" for none ever)."""
    with Image.open(io.BytesIO(image)) as opened:
        pixel = opened.convert("RGB").getpixel((0, 0))
    for color, verdict in MEDIA_VERDICTS.items():
        if all(abs(a - b) <= 16 for a, b in zip(color, pixel, strict=True)):  # type: ignore[arg-type]
            return verdict
    return "pass", 100


class ContentSecurityAPI:
    """msg_sec_check and media_check_async, with the download and the pushed verdict."""

    _lock: threading.Lock  # the server's
    session_keys: dict[tuple[str, str], str]  # MiniProgramAPI's: who has logged in
    _token_app: Any
    push: Any  # PushAPI's

    ROUTES: ClassVar[dict[tuple[str, str], str]] = {
        ("POST", "/wxa/msg_sec_check"): "msg_sec_check",
        ("POST", "/wxa/media_check_async"): "media_check_async",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.push_targets: dict[str, dict[str, Any]] = {}
        self.media_checks: dict[str, dict[str, Any]] = {}

    def push_verdicts_to(self, appid: str, url: str, *, token: str,
                         encoding_aes_key: str | None = None, format: str = "json") -> None:
        """Where ``appid``'s media verdicts are pushed (its message-push URL and settings)."""
        self.push_targets[appid] = {"url": url, "token": token,
                                    "encoding_aes_key": encoding_aes_key, "format": format}

    def _check_request(self, request: FakeRequest) -> tuple[str, dict[str, Any], Any]:
        """The app, the body, or WeChat's error answer for a call that cannot be checked."""
        appid, error = self._token_app(request.params)
        body = request.body if isinstance(request.body, dict) else {}
        if error:
            return appid, body, error
        if body.get("version") != 2:
            return appid, body, answer(40097, "invalid args: v1 is frozen, send version 2")
        if body.get("scene") not in (1, 2, 3, 4):
            return appid, body, answer(40097, "invalid args: scene")
        with self._lock:
            known = (appid, str(body.get("openid"))) in self.session_keys
        if not known:
            return appid, body, answer(61010, "user has not visited in the last 2 hours")
        return appid, body, None

    def msg_sec_check(self, request: FakeRequest) -> tuple[int, Any]:
        _, body, error = self._check_request(request)
        if error:
            return error
        content = body.get("content")
        if not isinstance(content, str) or not content or len(content) > 2500:
            return answer(40097, "invalid args: content")
        scripted = _ERR.match(content)
        if scripted:
            return answer(int(scripted.group(1)), "scripted error")
        slow = _SLOW.match(content)
        if slow:
            time.sleep(float(slow.group(1)))
        suggest, label = ("risky", 20001) if "risky" in content else \
            ("review", 21000) if "review" in content else ("pass", 100)
        return 200, {"errcode": 0, "errmsg": "ok", "trace_id": secrets.token_hex(12),
                     "result": {"suggest": suggest, "label": label},
                     "detail": [{"strategy": "content_model", "errcode": 0,
                                 "suggest": suggest, "label": label, "prob": 90}]}

    def media_check_async(self, request: FakeRequest) -> tuple[int, Any]:
        appid, body, error = self._check_request(request)
        if error:
            return error
        media_url = body.get("media_url")
        if not isinstance(media_url, str) or not media_url.startswith(("http://", "https://")) \
                or body.get("media_type") != 2:
            return answer(40097, "invalid args: media_url or media_type")
        trace_id = f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
        with self._lock:
            self.media_checks[trace_id] = {"appid": appid, "openid": body["openid"],
                                           "pushed": False}
        threading.Thread(target=self._check_media, args=(trace_id, media_url), daemon=True,
                         name="fake-wechat-media-check").start()
        return 200, {"errcode": 0, "errmsg": "ok", "trace_id": trace_id}

    def _check_media(self, trace_id: str, media_url: str) -> None:
        """Download the image as WeChat would, then push its verdict."""
        record = self.media_checks[trace_id]
        try:
            response = requests.get(media_url, timeout=5, allow_redirects=False)
            record["status"] = response.status_code
            suggest, label = media_verdict(response.content) if response.ok else ("", None)
        except (requests.RequestException, OSError, ValueError):
            suggest, label = "", None
        record["suggest"] = suggest
        target = self.push_targets.get(record["appid"])
        if not suggest or target is None:
            return
        message = {
            "ToUserName": "gh_fakewechat0", "FromUserName": record["openid"],
            "CreateTime": int(time.time()), "MsgType": "event", "Event": "wxa_media_check",
            "appid": record["appid"], "trace_id": trace_id, "version": 2,
            "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest,
                        "label": label, "prob": 90}],
            "errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label},
        }
        answer = self.push(urljoin(media_url, target["url"]), appid=record["appid"],
                           message=message,
                           token=target["token"], encoding_aes_key=target["encoding_aes_key"],
                           format=target["format"])
        record["pushed"], record["answer"] = True, answer.status_code
