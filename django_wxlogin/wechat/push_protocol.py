"""WeChat's message-push protocol (消息推送): the SHA-1 signatures, the safe-mode AES envelope,
and the JSON or XML bodies. Pure functions, shared by the receiver (``push/``) and the fake
WeChat that pushes; no I/O.

Safe mode: AES-256-CBC, key = base64(EncodingAESKey + "="), IV = the key's first 16 bytes,
PKCS#7 padding to 32-byte blocks, plaintext = 16 random bytes + 4-byte big-endian length +
message + appid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import struct
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring  # building only

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7
from defusedxml import ElementTree as SafeElementTree

FORMATS = ("json", "xml")
AES_KEY_LENGTH = 43  # characters of an EncodingAESKey


class PushFormatError(ValueError):
    """A body, envelope or key that is not what WeChat sends. Its message names no data."""


def signature(*parts: str) -> str:
    """``sha1`` of the parts sorted and joined: ``signature`` (Token, timestamp, nonce) and
    ``msg_signature`` (the same and the ``Encrypt`` field)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()  # noqa: S324


def signature_matches(given: str, *parts: str) -> bool:
    """Whether ``given`` is the signature of ``parts``, compared in constant time."""
    return hmac.compare_digest(given.lower().encode("ascii", "replace"),
                               signature(*parts).encode("ascii"))


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key an EncodingAESKey (43 base64 characters) stands for."""
    if len(encoding_aes_key) != AES_KEY_LENGTH:
        raise PushFormatError("an EncodingAESKey has 43 characters")
    try:
        return base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise PushFormatError("an EncodingAESKey is base64") from None


def encrypt(encoding_aes_key: str, appid: str, message: bytes) -> str:
    """The ``Encrypt`` field WeChat sends for ``message``."""
    key = aes_key(encoding_aes_key)
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + appid.encode()
    padder = PKCS7(256).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def decrypt(encoding_aes_key: str, encrypted: str) -> tuple[bytes, str]:
    """The message and the appid inside an ``Encrypt`` field; ``PushFormatError`` for anything
    malformed (every failure the same)."""
    key = aes_key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypted, validate=True)
        if not data or len(data) % 16:
            raise ValueError
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        unpadder = PKCS7(256).unpadder()
        plain = unpadder.update(decryptor.update(data) + decryptor.finalize())
        plain += unpadder.finalize()
        (length,) = struct.unpack(">I", plain[16:20])
        message, appid = plain[20:20 + length], plain[20 + length:]
        if len(message) != length:
            raise ValueError
        return message, appid.decode("utf-8")
    except (binascii.Error, ValueError, struct.error, UnicodeError):
        raise PushFormatError("the envelope does not decrypt") from None


def dumps(message: dict[str, Any], fmt: str) -> bytes:
    """A message as WeChat writes it: JSON, or ``<xml>`` with one element per key."""
    if fmt == "json":
        return json.dumps(message, ensure_ascii=False).encode("utf-8")
    root = Element("xml")
    _children(root, message)
    return tostring(root, encoding="utf-8", xml_declaration=False)


def _children(parent: Element, message: dict[str, Any]) -> None:
    """One element per key; a dict nested (``<result><suggest>``), a list's items repeated."""
    for name, value in message.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                _children(SubElement(parent, name), item)
            else:
                SubElement(parent, name).text = str(item)


def loads(raw: bytes, fmt: str) -> dict[str, Any]:
    """A JSON object or a flat ``<xml>`` document as a dict (nested XML elements as dicts);
    ``PushFormatError`` for anything else. XML goes through defusedxml: no entities, no DTD."""
    try:
        if fmt == "json":
            found = json.loads(raw.decode("utf-8"))
            if not isinstance(found, dict):
                raise ValueError
            return {str(k).strip(): v for k, v in found.items()}  # WeChat's samples: " OpenID"
        root = SafeElementTree.fromstring(raw, forbid_dtd=True)
        if root.tag != "xml":
            raise ValueError
        return _element(root)
    except Exception:  # defusedxml's and expat's errors, JSON's, encodings'
        raise PushFormatError("the body is not a message") from None


def _element(node: Any) -> dict[str, Any]:
    return {child.tag: _element(child) if len(child) else (child.text or "")
            for child in node}
