"""Server-API security on the wire: :class:`WeChatClient` hands every call here, and a call to
a protected path of an app with ``API_SECURITY`` goes out sealed (encrypted and signed) and its
answer is opened (verified, decrypted, checked) before anything reads it.

An answer is believed only when it is signed by a platform certificate the app trusts (the one
``Wechatmp-Serial`` names, or during a rotation the one ``Wechatmp-Serial-Deprecated`` names),
was made after the request (within ``API_SECURITY_MAX_SKEW``), decrypts under its own timestamp,
carries this app's ``_appid`` and that timestamp, and its ``_n`` was never seen before. An
unsigned answer is believed only as a failure (an ``errcode``): at worst it fails a call, which
anyone on the path could do anyway. Every refusal is counted (:func:`stats`) and logged without
keys, bodies or tokens.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric import rsa

from ...cache import cache, key, warn_unavailable
from ...exceptions import WeChatMisconfigured
from ...settings import wxlogin_settings
from ..errors import AnswerNotVerified
from . import envelope
from .keys import AppKeys, KeyProblem, for_call

logger = logging.getLogger("django_wxlogin.wechat.api_security")

_refusals: Counter[str] = Counter()
_refusals_lock = threading.Lock()
JSON_TYPES = ("application/json", "text/plain")


def stats() -> dict[str, int]:
    """This process's refused answers, by reason (``unsigned``, ``timestamp``, ``appid``,
    ``unknown_serial``, ``signature``, ``stale``, ``not_encrypted``, ``decrypt``,
    ``fields``, ``replayed``)."""
    with _refusals_lock:
        return dict(_refusals)


def max_skew() -> float:
    return float(wxlogin_settings.API_SECURITY_MAX_SKEW)


class SealedCall:
    """One protected call: what to send, and how to open what comes back."""

    def __init__(self, keys: AppKeys, urlpath: str, path: str, params: Mapping[str, Any] | None,
                 body: Any) -> None:
        self.keys, self.urlpath, self.path = keys, urlpath, path
        self.timestamp = int(time.time())
        if body is not None and not isinstance(body, Mapping):
            raise TypeError("a protected WeChat API takes a JSON object")
        params = dict(params or {})
        # The access token stays in the URL; every other parameter travels encrypted.
        self.params = {k: params.pop(k) for k in list(params) if k == "access_token"}
        fields = {**params, **(body if isinstance(body, Mapping) else {})}
        plaintext = envelope.plaintext(fields, keys.appid, self.timestamp)
        self.body = envelope.seal(keys.symmetric_key, self._aad(self.timestamp), plaintext)
        self.headers = {
            "Content-Type": "application/json",
            "Wechatmp-Appid": keys.appid,
            "Wechatmp-TimeStamp": str(self.timestamp),
            "Wechatmp-Signature": envelope.sign(keys.private_key, envelope.signed_text(
                urlpath, keys.appid, self.timestamp, self.body)),
        }

    def __repr__(self) -> str:
        return f"SealedCall(appid={self.keys.appid!r}, path={self.path!r})"

    def _aad(self, timestamp: int) -> bytes:
        return envelope.aad(self.urlpath, self.keys.appid, timestamp, self.keys.symmetric_sn)

    def refuse(self, reason: str, serial: str = "") -> AnswerNotVerified:
        with _refusals_lock:
            _refusals[reason] += 1
        logger.warning("WeChat's answer to %s for appid %s was refused by API security: %s%s",
                       self.path, self.keys.appid, reason,
                       f" (platform certificate {serial})" if serial else "")
        return AnswerNotVerified(reason)

    def open(self, headers: Mapping[str, str], content: bytes, content_type: str) \
            -> tuple[bytes, str]:
        """The answer as the call would have had it without API security, once believed."""
        if not headers.get("Wechatmp-Signature"):
            return self._unsigned(content, content_type)
        try:
            timestamp = int(headers.get("Wechatmp-TimeStamp", ""))
        except ValueError:
            raise self.refuse("timestamp") from None
        if headers.get("Wechatmp-Appid") != self.keys.appid:
            raise self.refuse("appid")
        self._verify(headers, envelope.signed_text(self.urlpath, self.keys.appid, timestamp,
                                                   content))
        if not self.timestamp - max_skew() <= timestamp <= time.time() + max_skew():
            raise self.refuse("stale")
        parsed = _json(content)
        if not (isinstance(parsed, dict) and {"iv", "data", "authtag"} <= set(parsed)):
            if content_type.split(";")[0].strip() in JSON_TYPES or parsed is not None:
                raise self.refuse("not_encrypted")
            return content, content_type  # a signed image: WeChat does not encrypt those
        try:
            answer = _json(envelope.open_envelope(self.keys.symmetric_key,
                                                  self._aad(timestamp), content))
        except envelope.EnvelopeError:
            raise self.refuse("decrypt") from None
        if not isinstance(answer, dict):
            raise self.refuse("decrypt")
        if answer.get("_appid") != self.keys.appid or answer.get("_timestamp") != timestamp \
                or not isinstance(answer.get("_n"), str) or not answer["_n"]:
            raise self.refuse("fields")
        if not self._first_sight(answer["_n"], timestamp):
            raise self.refuse("replayed")
        plain = {k: v for k, v in answer.items() if k not in envelope.SECURITY_FIELDS}
        return json.dumps(plain, ensure_ascii=False).encode(), "application/json"

    def _unsigned(self, content: bytes, content_type: str) -> tuple[bytes, str]:
        parsed = _json(content)
        errcode = parsed.get("errcode") if isinstance(parsed, dict) else None
        if not errcode:
            raise self.refuse("unsigned")
        logger.info("WeChat answered %s for appid %s unsigned, with errcode %s", self.path,
                    self.keys.appid, errcode)
        return content, content_type  # a failure: the client maps its errcode

    def _verify(self, headers: Mapping[str, str], signed: bytes) -> None:
        certificates = self.keys.certificates
        serial = headers.get("Wechatmp-Serial", "")
        signature = headers.get("Wechatmp-Signature", "")
        if serial not in certificates:
            serial = headers.get("Wechatmp-Serial-Deprecated", "")
            signature = headers.get("Wechatmp-Signature-Deprecated", "")
            if serial not in certificates:
                raise self.refuse("unknown_serial", headers.get("Wechatmp-Serial", ""))
            logger.warning("WeChat signed its answer to appid %s with a new platform certificate "
                           "(%s); the configured one (%s) is being retired: download the new "
                           "one from the console's API security page", self.keys.appid,
                           headers.get("Wechatmp-Serial", ""), serial)
        public_key = cast(rsa.RSAPublicKey, certificates[serial].public_key())  # RSA: keys.py
        if not envelope.verify(public_key, signed, signature):
            raise self.refuse("signature", serial)

    def _first_sight(self, n: str, timestamp: int) -> bool:
        """Whether this answer's ``_n`` is new to every process (kept as long as a copy of the
        answer could pass the timestamp check; unchecked while the cache is down)."""
        digest = hashlib.sha256(f"{self.keys.appid}|{timestamp}|{n}".encode()).hexdigest()
        try:
            return bool(cache().add(key("api_security_nonce", digest), 1,
                                    int(2 * max_skew()) + 1))
        except Exception as exc:
            warn_unavailable(logger, "API security's replay check", exc)
            return True


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def seal(appid: str, base_url: str, method: str, path: str, params: Mapping[str, Any] | None,
         body: Any) -> SealedCall | None:
    """The sealed form of a call, or None when it goes out as it is (API security off for the
    app, or a path WeChat does not protect)."""
    if method != "POST":
        return None
    try:
        keys = for_call(appid, path)
    except KeyProblem as exc:
        logger.error("API security of appid %s is unusable: %s", appid, exc)
        raise WeChatMisconfigured() from None
    if keys is None:
        return None
    return SealedCall(keys, base_url + path, path, params, body)
