"""Opaque bearer tokens: ``<user reference>.<256 random bits>``, stored only as SHA-256 digests.

The user reference (the user's primary key, base64url) lets the hot path fetch the session and
its user from the cache in one round trip; it carries nothing secret.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import secrets

RANDOM_BYTES = 32
MAX_LENGTH = 200
KEY_BYTES = 18  # of the digest, in cache keys
_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,128}\.[A-Za-z0-9_-]{43}")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_token(user_pk: object) -> str:
    return f"{_b64(str(user_pk).encode())}.{secrets.token_urlsafe(RANDOM_BYTES)}"


def token_digest(token: str) -> str:
    """The hex SHA-256 of a token: what the database and the cache hold instead of it."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_digest_and_key(token: str) -> tuple[str, str]:
    """``token_digest(token)`` and its ``digest_key``, from one hash (the hot path's)."""
    raw = hashlib.sha256(token.encode("ascii")).digest()
    return raw.hex(), _b64(raw[:KEY_BYTES])


def user_reference(token: str) -> str | None:
    """The user primary key (as text) a well-formed token names, else None."""
    if len(token) > MAX_LENGTH or not _SHAPE.fullmatch(token):
        return None
    return _decode_reference(token[:token.index(".")])


@functools.lru_cache(maxsize=4096)
def _decode_reference(ref: str) -> str | None:
    """Decoded once per user and process: every request of a user carries the same text."""
    try:
        return base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def digest_key(digest: str) -> str:
    """What names a digest's cache entry: its first 144 bits, 24 base64url characters."""
    return _b64(bytes.fromhex(digest[:KEY_BYTES * 2]))
