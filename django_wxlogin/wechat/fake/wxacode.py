"""Mini-program codes in the fake WeChat: ``POST /wxa/getwxacodeunlimit``.

WeChat draws a round mini-program code only its app can read; the fake draws a real QR code
(PNG, through ``segno``) of the text ``wxacode:<appid>/<page>?scene=<scene>&env_version=<v>``
(the scene URL-encoded), so a test decodes it as a phone would and learns the page and scene.

Scripted behaviour:

- the access token must be live (41001 without one, 40001 unknown, 42001 expired);
- ``scene`` of 1 to 32 characters of WeChat's charset, else 40169;
- ``page`` without a leading ``/`` or a query, else 41030; with ``check_path`` (the default)
  and ``env_version`` ``release``, the page must be one of ``fake.released_pages`` when that
  set is given (None: every page is released), else 41030;
- at most ``fake.wxacode_quota`` codes per app in a minute (5,000, WeChat's quota), then 45009;
- ``fake.wxacode_calls`` counts the codes drawn.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import quote

from ..wxacode import valid_scene
from .server import FakeRequest, Reply, answer

ENV_VERSIONS = ("release", "trial", "develop")


def code_text(appid: str, page: str, scene: str, env_version: str = "release") -> str:
    """What the fake's QR code of a mini-program code says."""
    return f"wxacode:{appid}/{page}?scene={quote(scene, safe='')}&env_version={env_version}"


class WxaCodeAPI:
    """getwxacodeunlimit (its access tokens are ``MiniProgramAPI``'s)."""

    _lock: threading.Lock  # the server's
    _token_app: Callable[[dict[str, Any]], tuple[str, tuple[int, Any] | None]]

    ROUTES: ClassVar[dict[tuple[str, str], str]] = {
        ("POST", "/wxa/getwxacodeunlimit"): "unlimited_code",
    }

    def __init__(self, released_pages: set[str] | None = None, wxacode_quota: int = 5000,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.released_pages = released_pages
        self.wxacode_quota = wxacode_quota
        self.wxacode_calls = 0
        self._wxacode_minutes: dict[tuple[str, int], int] = {}

    def unlimited_code(self, request: FakeRequest) -> tuple[int, Any] | Reply:
        appid, error = self._token_app(request.params)
        if error:
            return error
        body = request.body if isinstance(request.body, dict) else {}
        scene, page = body.get("scene"), body.get("page", "")
        env_version = body.get("env_version", "release")
        if not isinstance(scene, str) or not valid_scene(scene):
            return answer(40169, "invalid scene")
        if not isinstance(page, str) or page.startswith("/") or "?" in page \
                or env_version not in ENV_VERSIONS:
            return answer(41030, "invalid page")
        if body.get("check_path", True) is not False and env_version == "release" \
                and self.released_pages is not None and page not in self.released_pages:
            return answer(41030, "invalid page")
        minute = (appid, int(time.time() // 60))
        with self._lock:
            self._wxacode_minutes[minute] = self._wxacode_minutes.get(minute, 0) + 1
            if self._wxacode_minutes[minute] > self.wxacode_quota:
                return answer(45009, "reach max api daily quota limit")
            self.wxacode_calls += 1
        return Reply(200, _png(code_text(appid, page, scene, env_version), body.get("width")),
                     content_type="image/png")


def _png(text: str, width: Any) -> bytes:
    import segno  # the example and test extras' dependency; the package runs without it

    qr = segno.make_qr(text, error="m")
    size = qr.symbol_size(scale=1, border=4)[0]
    pixels = width if isinstance(width, int) and 280 <= width <= 1280 else 430
    out = io.BytesIO()
    qr.save(out, kind="png", scale=max(1, pixels // size), border=4)
    return out.getvalue()
