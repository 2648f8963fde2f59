"""Encryption at rest for WeChat's ``session_key`` (and the cached access tokens).

Keys are derived from Django's ``SECRET_KEY`` (HKDF-SHA256); values written under a key listed in
``SECRET_KEY_FALLBACKS`` still decrypt, so rotating ``SECRET_KEY`` the Django way rotates these.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

logger = logging.getLogger("django_wxlogin.crypto")

_INFO = b"django-wxlogin session_key encryption"


def _derive(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


@functools.lru_cache(maxsize=4)
def _fernet(secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_derive(s) for s in secrets])


def fernet() -> MultiFernet:
    """The cipher for the current ``SECRET_KEY`` and its fallbacks."""
    fallbacks = tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ())
    return _fernet((settings.SECRET_KEY, *fallbacks))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(value: str) -> str | None:
    """The plaintext, or None when no current or fallback key opens it."""
    try:
        return fernet().decrypt(value.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        logger.warning("A stored secret could not be decrypted (SECRET_KEY rotated?)")
        return None


def keyed_hash(*parts: str) -> str:
    """HMAC-SHA256 of the parts under a key derived from ``SECRET_KEY``: names a person in
    audit records without the identifier itself (whoever holds the openid and the key can
    recompute it; nobody can reverse it)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"django-wxlogin audit subject").derive(settings.SECRET_KEY.encode("utf-8"))
    message = "\x00".join(parts).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column holding Fernet ciphertext; Python code only ever sees plaintext."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value in (None, "") else encrypt(value)
