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


class ApiSecurityRejected(WeChatMisconfigured):
    """WeChat refused a call for its server-API security (errcodes 40230 to 40240): the app's
    keys, the console's switch or this server's clock must be fixed by an operator."""


class AnswerNotVerified(WeChatUnavailable):
    """An answer that failed the server-API security checks (unsigned, wrongly signed, not
    decryptable, replayed or stale): never believed. ``reason`` says which check."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


# WeChat's names for its API-security errcodes (服务端 API 签名加密指南, 错误码).
API_SECURITY_ERRCODES = {
    40230: "missing Wechatmp-Serial",
    40231: "missing Wechatmp-TimeStamp",
    40232: "missing Wechatmp-Signature",
    40233: "missing Wechatmp-Appid",
    40234: "invalid signature",
    40235: "invalid encryption",
    40236: "invalid Wechatmp-Appid",
    40237: "Wechatmp-Appid does not match the access token",
    40238: "no symmetric key set in the console",
    40239: "no public key set in the console",
    40240: "timestamp expired (is this server's clock right?)",
}

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
    **{errcode: ApiSecurityRejected for errcode in API_SECURITY_ERRCODES},
}


def error_for(errcode: Any, appid: str, path: str) -> WeChatError:
    """The typed error of a non-zero ``errcode`` that ``path`` answered for ``appid`` (logged;
    credentials WeChat rejects at ERROR level, since an operator must fix them)."""
    try:
        errcode = int(errcode)
    except (TypeError, ValueError):
        errcode = -1
    error_class = ERRCODE_ERRORS.get(errcode, WeChatUnavailable)
    if error_class is ApiSecurityRejected:
        logger.error(
            "WeChat refused the API security of appid %s on %s: errcode %s, %s. Check the "
            "app's API_SECURITY keys against the console's API security page (and that both "
            "sides have it on)", appid, path, errcode, API_SECURITY_ERRCODES[errcode],
        )
    elif error_class is WeChatMisconfigured:
        logger.error(
            "WeChat rejected the credentials of appid %s (errcode %s on %s): "
            "check WXLOGIN's APPID and SECRET, and the app's IP whitelist",
            appid, errcode, path,
        )
    else:
        logger.info("WeChat %s answered errcode %s", path, errcode)
    return error_class(errcode=errcode)
