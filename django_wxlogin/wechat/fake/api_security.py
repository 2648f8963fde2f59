"""Server-API security (服务端API安全鉴权) in the fake WeChat, for the apps given keys.

``FakeWeChat(apps, api_security={appid: FakeAppSecurity.generate()})``: a call of such an app
to a protected path (``SUPPORTED_PATHS``, POST) must come sealed as WeChat's guide says, or it
is refused in the clear, as WeChat refuses it:

=======  ===========================================================================
40233    no ``Wechatmp-Appid``; 40231 no ``Wechatmp-TimeStamp``; 40232 no signature
40236    ``Wechatmp-Appid`` is not an app with API security; 40237 it is not the
         access token's app
40240    a timestamp more than five minutes off, or a request seen before (a replay)
40234    a signature that the app's public key does not verify
40235    a body that does not decrypt, or whose ``_appid``/``_timestamp`` disagree
=======  ===========================================================================

The call then reaches its API with the decrypted fields as its body, and the answer goes back
encrypted (JSON) or as it is (an image), signed by the current platform key, and during a
rotation (:meth:`FakeAppSecurity.rotate`) by the deprecated one too. Apps without keys, and
other paths, are answered as before.

``fake.api_security_fault`` spoils every protected answer until set back to None:
``"signature"`` (does not verify), ``"serial"`` (an unknown certificate), ``"unsigned"`` (in the
clear), ``"ciphertext"`` (altered, then signed again), ``"appid"`` (another ``_appid``, sealed
and signed), ``"stale"`` (ten minutes old, sealed and signed), ``"replay"`` (the last answer to
that path, again), ``"plaintext"`` (signed, not encrypted).
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ..api_security import envelope
from ..api_security.keys import SUPPORTED_PATHS
from .server import FakeRequest, Reply, answer

REQUEST_WINDOW = 300  # seconds a request's timestamp may be off
FAULTS = ("signature", "serial", "unsigned", "ciphertext", "appid", "stale", "replay",
          "plaintext")


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def certificate_pem(key: rsa.RSAPrivateKey, days: int = 365, *, common_name: str = "fake") -> str:
    """A self-signed certificate of ``key``, valid from yesterday for ``days`` days."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days + 1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class FakeAppSecurity:
    """One app's keys on both sides: the fake keeps the app's public key and the platform's
    private keys; :meth:`settings` is the app's ``API_SECURITY`` for them."""

    symmetric_key: bytes = field(repr=False)
    symmetric_sn: str
    app_key: rsa.RSAPrivateKey = field(repr=False)
    platform: list[tuple[str, rsa.RSAPrivateKey]] = field(repr=False)  # current, deprecated

    @classmethod
    def generate(cls) -> FakeAppSecurity:
        return cls(secrets.token_bytes(32), secrets.token_hex(16), _rsa(),
                   [(secrets.token_hex(16), _rsa())])

    def rotate(self) -> str:
        """A new platform certificate becomes current; the old one is deprecated (its
        signature still rides along). Returns the new serial."""
        serial = secrets.token_hex(16)
        self.platform = [(serial, _rsa()), self.platform[0]]
        return serial

    def retire(self) -> None:
        """The end of a rotation: the deprecated certificate is gone."""
        self.platform = self.platform[:1]

    def certificates(self) -> dict[str, str]:
        return {serial: certificate_pem(key) for serial, key in self.platform}

    def settings(self, certificates: dict[str, str] | None = None) -> dict[str, Any]:
        """``API_SECURITY`` for this app: the keys as the console hands them out."""
        return {"SYMMETRIC_KEY": base64.b64encode(self.symmetric_key).decode(),
                "SYMMETRIC_SN": self.symmetric_sn, "PRIVATE_KEY": _pem(self.app_key),
                "CERTIFICATES": certificates if certificates is not None
                else self.certificates()}


class ApiSecurityAPI:
    """Wraps ``dispatch``: unseals protected calls, seals their answers (no routes of its own)."""

    ROUTES: ClassVar[dict[tuple[str, str], str]] = {}
    _lock: threading.Lock  # the server's
    access_tokens: dict[str, tuple[str, float]]  # MiniProgramAPI's

    def __init__(self, api_security: dict[str, FakeAppSecurity] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_security: dict[str, FakeAppSecurity] = dict(api_security or {})
        self.api_security_fault: str | None = None
        self._seen_signatures: dict[str, float] = {}  # within REQUEST_WINDOW, for replays
        self._last_answers: dict[str, Reply] = {}

    def dispatch(self, request: FakeRequest) -> tuple[int, Any] | Reply:
        headers = {k.lower(): v for k, v in request.headers.items()}
        appid = self._protected_app(request, headers)
        if appid is None:
            return super().dispatch(request)  # type: ignore[misc]
        security = self.api_security.get(appid)
        urlpath = f"http://{headers.get('host', '')}{request.path}"
        unsealed = self._unseal(request, headers, appid, security, urlpath)
        if not isinstance(unsealed, FakeRequest):
            return unsealed
        assert security is not None
        result = super().dispatch(unsealed)  # type: ignore[misc]
        return self._seal(request.path, appid, security, urlpath, result)

    def _protected_app(self, request: FakeRequest, headers: dict[str, str]) -> str | None:
        if request.method != "POST" or request.path not in SUPPORTED_PATHS:
            return None
        with self._lock:
            owner = self.access_tokens.get(str(request.params.get("access_token")), ("",))[0]
        appid = headers.get("wechatmp-appid") or owner
        return appid if appid in self.api_security or owner in self.api_security else None

    def _unseal(self, request: FakeRequest, headers: dict[str, str], appid: str,
                security: FakeAppSecurity | None, urlpath: str) -> FakeRequest | tuple[int, Any]:
        signature, stamp = headers.get("wechatmp-signature"), headers.get("wechatmp-timestamp")
        if not headers.get("wechatmp-appid"):
            return answer(40233, "API_Missing_Wechatmp_Appid")
        if not stamp:
            return answer(40231, "API_Missing_Wechatmp_Timestamp")
        if not signature:
            return answer(40232, "API_Missing_Wechatmp_Signature")
        if security is None:
            return answer(40236, "API_Invalid_Wechatmp_Appid")
        with self._lock:
            owner = self.access_tokens.get(str(request.params.get("access_token")), (appid,))[0]
        if owner != appid:
            return answer(40237, "API_Invalid_Wechatmp_Appidmatch")
        timestamp = int(stamp) if stamp.isdigit() else 0
        if abs(time.time() - timestamp) > REQUEST_WINDOW:
            return answer(40240, "API_Expired_Wechatmp_Timestamp")
        signed = envelope.signed_text(urlpath, appid, timestamp, request.raw)
        if not envelope.verify(security.app_key.public_key(), signed, signature):
            return answer(40234, "API_Invalid_Signature")
        with self._lock:
            if signature in self._seen_signatures:
                return answer(40240, "API_Expired_Wechatmp_Timestamp")
            now = time.time()
            self._seen_signatures = {s: t for s, t in self._seen_signatures.items()
                                     if t > now - 2 * REQUEST_WINDOW}
            self._seen_signatures[signature] = now
        try:
            fields = json.loads(envelope.open_envelope(
                security.symmetric_key,
                envelope.aad(urlpath, appid, timestamp, security.symmetric_sn), request.raw))
        except (envelope.EnvelopeError, ValueError):
            return answer(40235, "API_Invalid_Encrypt")
        if not isinstance(fields, dict) or fields.get("_appid") != appid \
                or fields.get("_timestamp") != timestamp or not fields.get("_n"):
            return answer(40235, "API_Invalid_Encrypt")
        body = {k: v for k, v in fields.items() if k not in envelope.SECURITY_FIELDS}
        return FakeRequest(request.method, request.path, dict(request.params), body,
                           json.dumps(body).encode(), request.headers)

    def _seal(self, path: str, appid: str, security: FakeAppSecurity, urlpath: str,
              result: tuple[int, Any] | Reply) -> tuple[int, Any] | Reply:
        status, content = (result.status, result.body) if isinstance(result, Reply) else result
        if status != 200:
            return result
        fault = self.api_security_fault
        if fault == "replay" and path in self._last_answers:
            return self._last_answers[path]
        timestamp = int(time.time()) - (600 if fault == "stale" else 0)
        content_type = result.content_type if isinstance(result, Reply) else "application/json"
        if isinstance(content, dict) and fault != "plaintext":
            if fault == "unsigned":
                return 200, content
            stamped = envelope.plaintext(content, "wxsomeoneelse0000" if fault == "appid"
                                         else appid, timestamp)
            body = envelope.seal(security.symmetric_key, envelope.aad(
                urlpath, appid, timestamp, security.symmetric_sn), stamped)
            if fault == "ciphertext":
                sealed = json.loads(body)
                data = bytearray(base64.b64decode(sealed["data"]))
                data[0] ^= 1
                sealed["data"] = base64.b64encode(bytes(data)).decode()
                body = json.dumps(sealed, separators=(",", ":")).encode()
            content_type = "application/json"
        else:
            body = json.dumps(content).encode() if isinstance(content, dict) else \
                content.encode() if isinstance(content, str) else content
        headers = {"Wechatmp-Appid": appid, "Wechatmp-TimeStamp": str(timestamp)}
        for index, (serial, key) in enumerate(security.platform):
            suffix = "-Deprecated" if index else ""
            signed = envelope.signed_text(urlpath, appid, timestamp, body)
            headers[f"Wechatmp-Serial{suffix}"] = "unknown-serial" if fault == "serial" \
                else serial
            headers[f"Wechatmp-Signature{suffix}"] = envelope.sign(key, signed + (
                b"x" if fault == "signature" else b""))
        reply = Reply(200, body, headers, content_type)
        self._last_answers[path] = reply
        return reply
