"""Decrypting the mini program's ``encryptedData`` with the user's ``session_key``.

WeChat encrypts user data (wx.getUserProfile, the legacy phone number, share info, WeRun) with
AES-128-CBC under the session_key of the user's latest ``wx.login``, PKCS#7 padded, and stamps
the plaintext with a watermark naming the app. Every failure raises the same
:class:`~django_wxlogin.exceptions.DecryptionFailed`: telling bad padding apart from bad JSON
would be a padding oracle. The step that failed goes to the log only. The usual cause is a
stale session_key, replaced by a later ``wx.login``: the client logs in again and retries.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7

from ..exceptions import DecryptionFailed
from ..models import WxUser

logger = logging.getLogger("django_wxlogin.decryption")

BLOCK_BYTES = 16


class _Rejected(Exception):
    """Why decryption failed, for the log; clients only ever see ``DecryptionFailed``."""


def _b64decode(value: Any, what: str) -> bytes:
    """Strict, canonical base64. A space is a ``+`` that a form encoding or a URL turned into
    one on the way (base64 has no spaces), so it is turned back."""
    if not isinstance(value, str):
        raise _Rejected(f"{what} is not a string")
    value = value.replace(" ", "+")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Rejected(f"{what} is not base64") from None
    if base64.b64encode(raw).decode("ascii") != value:
        raise _Rejected(f"{what} is not canonical base64")
    return raw


def _decrypt(encrypted_data: Any, iv: Any, session_key: str | None, appid: str) -> dict[str, Any]:
    if not session_key:
        raise _Rejected("no session_key is stored")
    key = _b64decode(session_key, "the session_key")
    initial = _b64decode(iv, "the iv")
    ciphertext = _b64decode(encrypted_data, "encrypted_data")
    if len(key) != BLOCK_BYTES or len(initial) != BLOCK_BYTES:
        raise _Rejected("the session_key or the iv is not 16 bytes")
    if not ciphertext or len(ciphertext) % BLOCK_BYTES:
        raise _Rejected("encrypted_data is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(initial)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = PKCS7(BLOCK_BYTES * 8).unpadder()
    try:
        plaintext = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise _Rejected("bad padding (a stale session_key?)") from None
    try:
        data = json.loads(plaintext.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _Rejected("the plaintext is not JSON") from None
    if not isinstance(data, dict):
        raise _Rejected("the plaintext is not a JSON object")
    watermark = data.pop("watermark", None)
    if not isinstance(watermark, dict) or watermark.get("appid") != appid:
        raise _Rejected("the watermark is missing or names another app")
    return data


def decrypt(encrypted_data: str, iv: str, *, session_key: str | None,
            appid: str) -> dict[str, Any]:
    """The decrypted JSON object, without its watermark.

    Raises :class:`~django_wxlogin.exceptions.DecryptionFailed`, whatever went wrong.
    """
    try:
        return _decrypt(encrypted_data, iv, session_key, appid)
    except _Rejected as exc:
        logger.info("Decryption for appid %s failed: %s", appid, exc)
        raise DecryptionFailed() from None


def decrypt_for(wxuser: WxUser, encrypted_data: str, iv: str) -> dict[str, Any]:
    """:func:`decrypt` with the identity's stored session_key and its app's appid."""
    return decrypt(encrypted_data, iv, session_key=wxuser.session_key, appid=wxuser.appid)
