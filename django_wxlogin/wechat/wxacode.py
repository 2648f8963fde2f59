"""Mini-program codes from ``wxa/getwxacodeunlimit``: the image a website shows for scan login.

The call goes through ``WeChatClient.request_bytes`` (so it is signed and encrypted wherever the
client is) with the app's shared access token, once more with a new token when WeChat calls it
stale. WeChat answers errors as JSON; the three a scan ticket can meet get errors of their own:
an invalid scene (40169), a page that is not in the released version (41030) and the quota of
5,000 codes a minute (45009).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from ..exceptions import WeChatError, WeChatMisconfigured, WeChatRateLimited
from ..settings import WxApp
from .access_token import STALE_TOKEN_ERRCODES, for_app
from .client import client

logger = logging.getLogger("django_wxlogin.wechat")

PATH = "/wxa/getwxacodeunlimit"
SCENE_MAX_LENGTH = 32
SCENE_CHARACTERS = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$&'()*+,/:;=?@-._~")


class InvalidScene(WeChatError):
    """WeChat refused the scene (40169): never one this package makes."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "scan_invalid_scene"
    default_detail = _("WeChat refused the code's scene; try again.")


class InvalidPage(WeChatMisconfigured):
    """41030: ``SCAN_PAGE`` does not exist in the released mini program (or is malformed)."""

    default_code = "scan_invalid_page"
    default_detail = _("WeChat does not know the mini program's confirm page; the operator must "
                       "release it or fix SCAN_PAGE.")


class CodeQuotaExceeded(WeChatRateLimited):
    """45009: the app's quota of mini-program codes is used up for now."""

    default_code = "scan_quota_exceeded"
    default_detail = _("Too many login codes were asked for; try again in a minute.")


ERRORS: dict[int, type[WeChatError]] = {
    40169: InvalidScene, 41030: InvalidPage, 45009: CodeQuotaExceeded}


@dataclass(frozen=True)
class CodeRequest:
    """What ``getwxacodeunlimit`` is asked for (WeChat's own field names)."""

    scene: str
    page: str
    check_path: bool = True
    env_version: str = "release"
    width: int = 430

    def body(self) -> dict[str, object]:
        return {"scene": self.scene, "page": self.page, "check_path": self.check_path,
                "env_version": self.env_version, "width": self.width}


def valid_scene(scene: str) -> bool:
    """Whether WeChat accepts ``scene``: 1 to 32 characters of its charset."""
    return 0 < len(scene) <= SCENE_MAX_LENGTH and set(scene) <= SCENE_CHARACTERS


def unlimited_code(app: WxApp, code: CodeRequest) -> bytes:
    """The PNG (or JPEG) of a mini-program code opening ``code.page`` with ``code.scene``."""
    tokens = for_app(app)
    token = tokens.get()
    try:
        try:
            return _call(app, code, token)
        except WeChatError as exc:
            if exc.errcode not in STALE_TOKEN_ERRCODES:
                raise
        return _call(app, code, tokens.refresh(failed=token))
    except WeChatError as exc:
        specific = ERRORS.get(exc.errcode or 0)
        if specific is None:
            raise
        logger.warning("WeChat refused a mini-program code for appid %s (errcode %s)",
                       app.appid, exc.errcode)
        raise specific(errcode=exc.errcode) from None


def _call(app: WxApp, code: CodeRequest, token: str) -> bytes:
    return client(app).request_bytes("POST", PATH, params={"access_token": token},
                                     json=code.body())
