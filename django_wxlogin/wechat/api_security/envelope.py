"""The cryptography of WeChat's server-API security (服务端API安全鉴权), both directions.

WeChat's guide (``miniprogram/dev/server/getting_started/api_signature``): a body is the JSON
``{"iv", "data", "authtag"}`` of AES-256-GCM (12-byte IV, AAD ``urlpath|appid|timestamp|sn``)
over a JSON plaintext that carries the security fields ``_n``, ``_appid`` and ``_timestamp``;
it is signed with RSA-PSS (SHA-256, MGF1-SHA-256) over ``urlpath\\nappid\\ntimestamp\\nbody``.
Requests are signed with the app's private key (salt length 32, as the guide requires), answers
with the platform's (any salt length). Pure functions: the client and the fake WeChat share them.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECURITY_FIELDS = ("_n", "_appid", "_timestamp")
REQUEST_SALT_LENGTH = 32


class EnvelopeError(Exception):
    """A body that is not a well-formed envelope, or whose ciphertext does not authenticate."""


def aad(urlpath: str, appid: str, timestamp: int, sn: str) -> bytes:
    return f"{urlpath}|{appid}|{timestamp}|{sn}".encode()


def signed_text(urlpath: str, appid: str, timestamp: int, body: bytes) -> bytes:
    """What is signed: the guide's ``urlpath\\nappid\\ntimestamp\\npostdata``, no final newline."""
    return f"{urlpath}\n{appid}\n{timestamp}\n".encode() + body


def nonce() -> str:
    """``_n``: 16 to 32 random bytes of varying length, base64 without padding (the guide's
    recommendation)."""
    return base64.b64encode(secrets.token_bytes(16 + secrets.randbelow(17))).decode().rstrip("=")


def plaintext(fields: dict[str, Any], appid: str, timestamp: int, n: str | None = None) -> bytes:
    """The JSON that is encrypted: the security fields first, then the call's own fields."""
    data = {"_n": n if n is not None else nonce(), "_appid": appid, "_timestamp": timestamp}
    data.update((k, v) for k, v in fields.items() if k not in SECURITY_FIELDS)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def seal(key: bytes, associated: bytes, message: bytes, iv: bytes | None = None) -> bytes:
    """The envelope's compact JSON bytes (exactly what is sent and signed)."""
    iv = iv if iv is not None else secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(iv, message, associated)
    envelope = {"iv": base64.b64encode(iv).decode(),
                "data": base64.b64encode(sealed[:-16]).decode(),
                "authtag": base64.b64encode(sealed[-16:]).decode()}
    return json.dumps(envelope, separators=(",", ":")).encode()


def open_envelope(key: bytes, associated: bytes, body: bytes) -> bytes:
    """The plaintext of an envelope; :class:`EnvelopeError` for anything else."""
    try:
        envelope = json.loads(body)
        parts = [base64.b64decode(envelope[name], validate=True)
                 for name in ("iv", "data", "authtag")]
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise EnvelopeError("not an envelope") from None
    iv, data, tag = parts
    if len(iv) != 12 or len(tag) != 16:
        raise EnvelopeError("bad iv or authtag length")
    try:
        return AESGCM(key).decrypt(iv, data + tag, associated)
    except InvalidTag:
        raise EnvelopeError("does not authenticate") from None


def sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    signature = private_key.sign(
        message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                             salt_length=REQUEST_SALT_LENGTH), hashes.SHA256())
    return base64.b64encode(signature).decode()


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is a PSS signature of ``message`` (any salt length)."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                    salt_length=padding.PSS.AUTO),
                          hashes.SHA256())
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
