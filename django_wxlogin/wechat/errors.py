"""WeChat's ``errcode`` answers, mapped onto the typed errors of
:mod:`django_wxlogin.exceptions` (matched on ``errcode`` only: WeChat's ``errmsg`` texts
change)."""

from __future__ import annotations

import logging
from typing import Any

from ..exceptions import (
    InvalidCode,
    UserBlocked,
    WeChatError,
    WeChatMisconfigured,
    WeChatRateLimited,
    WeChatUnavailable,
)

logger = logging.getLogger("django_wxlogin.wechat")

ERRCODE_ERRORS: dict[int, type[WeChatError]] = {
    -1: WeChatUnavailable,
    40029: InvalidCode,
    40163: InvalidCode,
    41008: InvalidCode,
    45011: WeChatRateLimited,
    40226: UserBlocked,
    40013: WeChatMisconfigured,
    40125: WeChatMisconfigured,
    41002: WeChatMisconfigured,
    40164: WeChatMisconfigured,  # the server's IP is not in the app's whitelist
}


def error_for(errcode: Any, appid: str, path: str) -> WeChatError:
    """The typed error of a non-zero ``errcode`` that ``path`` answered for ``appid`` (logged;
    credentials WeChat rejects at ERROR level, since an operator must fix them)."""
    try:
        errcode = int(errcode)
    except (TypeError, ValueError):
        errcode = -1
    error_class = ERRCODE_ERRORS.get(errcode, WeChatUnavailable)
    if error_class is WeChatMisconfigured:
        logger.error(
            "WeChat rejected the credentials of appid %s (errcode %s on %s): "
            "check WXLOGIN's APPID and SECRET, and the app's IP whitelist",
            appid, errcode, path,
        )
    else:
        logger.info("WeChat %s answered errcode %s", path, errcode)
    return error_class(errcode=errcode)
