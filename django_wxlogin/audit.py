"""Audit log lines on the ``django_wxlogin.audit`` logger, from the package's signals.

A line names the user id and the first 8 characters of the session's token digest, never a
token, code, session_key or secret; values that come from clients (user agent, IP) have CR and
LF escaped, so one cannot forge a line.
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from . import signals
from .client_ip import client_ip
from .crypto import keyed_hash
from .models import WxSession

logger = logging.getLogger("django_wxlogin.audit")


def clean(value: object) -> str:
    """``value`` as one log- and terminal-safe token: each character that is not printable (CR,
    LF, escape sequences, C1 controls, bidi overrides, zero-width and line separators) escaped
    as ``\\xNN``/``\\uNNNN``, the rest (Chinese included) as it is."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


@receiver(signals.user_logged_in, dispatch_uid="wxlogin_audit_login")
def _logged_in(sender: Any, user: Any, session: WxSession, request: Any = None,
               method: str = "wechat", **kwargs: Any) -> None:
    logger.info("login ok user=%s session=%s method=%s app=%s ip=%s agent=%s",
                clean(user.pk), session.digest[:8], method, clean(session.appid),
                clean(client_ip(request) if request else "-"),
                clean(request.META.get("HTTP_USER_AGENT", "-")[:120] if request else "-"))


@receiver(signals.user_logged_out, dispatch_uid="wxlogin_audit_logout")
def _logged_out(sender: Any, user: Any, session: WxSession, everywhere: bool = False,
                **kwargs: Any) -> None:
    logger.info("logout user=%s session=%s everywhere=%s", clean(user.pk), session.digest[:8],
                everywhere)


@receiver(signals.session_revoked, dispatch_uid="wxlogin_audit_revoked")
def _revoked(sender: Any, sessions: list[tuple[int, Any]], reason: str, **kwargs: Any) -> None:
    users = sorted({str(user) for _, user in sessions})
    shown = ",".join(clean(u) for u in users[:20]) + ("…" if len(users) > 20 else "")
    logger.info("revoke sessions=%d users=%s reason=%s", len(sessions), shown, reason)


def identity_subject(appid: str, openid: str) -> str:
    """How audit records and lines name a WeChat identity: a keyed hash of its appid and
    openid (``crypto.keyed_hash``), never the openid itself."""
    return keyed_hash("identity", appid, openid)


def login_failed(request: Any, code: str, app: str = "") -> None:
    """A refused login: the error's machine code, never the login code itself."""
    logger.info("login failed code=%s app=%s ip=%s", code, clean(app) or "-",
                clean(client_ip(request) or "-"))
