"""``push/<app>/``: the URL WeChat's console (开发管理 -> 消息推送) calls.

``GET`` verifies the URL (answers ``echostr`` when ``signature`` matches the app's Token).
``POST`` carries a message: in plaintext mode (WeChat signs only the query), compatible or
safe mode (``encrypt_type=aes``: the ``Encrypt`` field is checked against ``msg_signature``
and decrypted; the plaintext copy of compatible mode is ignored). With an EncodingAESKey
configured, only encrypted messages are accepted. Every check fails as a 4xx that names no
data, and nothing of an unverified request is stored or logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from ..audit import clean
from ..exceptions import ServiceUnavailable, UnknownApp
from ..schema import errors, extend_schema
from ..settings import WxApp, wxlogin_settings
from ..views import WxLoginAPIView
from ..wechat import push_protocol
from . import replay
from .dispatch import PushMessage, dispatch

logger = logging.getLogger("django_wxlogin.push")

MAX_BODY = 64 * 1024  # WeChat's event pushes are a few hundred bytes
MAX_PARAM = 128  # signatures are 40 hex digits; nonces and echostr short


class PushMalformed(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "push_malformed"
    default_detail = _("This is not a WeChat push.")


class PushForged(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "push_forged"
    default_detail = _("The push's signature does not match.")


class PushReplayed(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "push_replayed"
    default_detail = _("The push is too old, or its nonce was used already.")


class PushInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "push_in_progress"
    default_detail = _("This message is being handled; WeChat's next retry gets the answer.")


def _param(request: Request, name: str, *, required: bool = True) -> str:
    value = request.query_params.get(name, "")
    if (required and not value) or len(value) > MAX_PARAM or not value.isprintable():
        raise PushMalformed()
    return value


class PushView(WxLoginAPIView):
    """WeChat's message push for the app in the URL (its NAME or APPID)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes: list[Any] = []  # the raw body is read, never parsed by DRF

    def _app(self, ref: str) -> WxApp:
        try:
            app = wxlogin_settings.app(ref)
        except UnknownApp:
            raise NotFound(code="unknown_app") from None
        if not app.token:
            raise NotFound(_("Message push is not set up for this app."),
                           code="push_not_configured")
        return app

    def _verified(self, request: Request, app: WxApp) -> tuple[str, str]:
        """The timestamp and nonce of a request whose ``signature`` matches and is fresh."""
        signature, timestamp, nonce = (_param(request, n)
                                       for n in ("signature", "timestamp", "nonce"))
        if not push_protocol.signature_matches(signature, app.token, timestamp, nonce):
            raise PushForged()
        if not replay.fresh(timestamp):
            raise PushReplayed()
        return timestamp, nonce

    @extend_schema(operation_id="wx_push_verify", request=None,
                   responses={(200, "text/plain"): str, **errors(400, 403, 404)})
    def get(self, request: Request, app: str) -> HttpResponse:
        wx_app = self._app(app)
        self._verified(request, wx_app)
        return HttpResponse(_param(request, "echostr"), content_type="text/plain")

    @extend_schema(operation_id="wx_push", request=None,
                   responses={(200, "text/plain"): str, **errors(400, 403, 404, 409, 503)})
    def post(self, request: Request, app: str) -> HttpResponse:
        wx_app = self._app(app)
        timestamp, nonce = self._verified(request, wx_app)
        message = PushMessage.from_data(wx_app, self._decoded(request, wx_app, timestamp, nonce))
        claim = replay.claim(wx_app.appid, message.message_id, nonce, timestamp)
        if claim is replay.Claim.REPLAYED:
            raise PushReplayed()
        if claim is replay.Claim.BUSY:
            raise PushInProgress()
        if claim is replay.Claim.NEW:
            try:
                dispatch(message)
            except Exception as exc:
                replay.finish(wx_app.appid, message.message_id, handled=False)
                logger.error("push failed app=%s event=%s message=%s (%s)", wx_app.appid,
                             clean(message.event[:64]), clean(message.message_id),
                             type(exc).__name__)
                raise ServiceUnavailable() from None
            replay.finish(wx_app.appid, message.message_id, handled=True)
            logger.info("push handled app=%s event=%s message=%s", wx_app.appid,
                        clean(message.event[:64]), clean(message.message_id))
        return HttpResponse("success", content_type="text/plain")

    def _decoded(self, request: Request, app: WxApp, timestamp: str,
                 nonce: str) -> dict[str, Any]:
        """The message, decrypted (safe and compatible modes) or as posted (plaintext)."""
        length = str(request.META.get("CONTENT_LENGTH") or "0")
        if not (length.isascii() and length.isdigit()) or int(length) > MAX_BODY:
            raise PushMalformed()
        raw = request.body
        if len(raw) > MAX_BODY:
            raise PushMalformed()
        try:
            outer = push_protocol.loads(raw, app.push_format)
            encrypted = request.query_params.get("encrypt_type", "") == "aes"
            if not encrypted:
                if app.encoding_aes_key:  # no downgrade to plaintext once a key is set
                    raise PushForged()
                return outer
            msg_signature = _param(request, "msg_signature")
            envelope = outer.get("Encrypt")
            if not isinstance(envelope, str) or not app.encoding_aes_key:
                raise PushMalformed()
            if not push_protocol.signature_matches(msg_signature, app.token, timestamp, nonce,
                                                   envelope):
                raise PushForged()
            plain, appid = push_protocol.decrypt(app.encoding_aes_key, envelope)
            if appid != app.appid:
                raise PushForged()
            return push_protocol.loads(plain, app.push_format)
        except push_protocol.PushFormatError:
            raise PushMalformed() from None
