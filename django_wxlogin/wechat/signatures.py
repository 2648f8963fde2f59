"""The two signatures WeChat builds from a user's ``session_key``.

- ``rawData`` + ``signature`` from wx.getUserInfo / wx.getUserProfile: sha1(rawData + session_key),
  which proves the profile came from WeChat for this user's current session.
- The login-state HMAC: hmac_sha256 keyed with the session_key *string* (not its base64-decoded
  bytes), used by ``/wxa/checksession`` and for signing requests.

Signatures are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac


def _matches(expected: str, signature: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8"))


def raw_data_signature(raw_data: str, session_key: str) -> str:
    """WeChat's signature of ``rawData``: lowercase hex sha1(rawData + session_key)."""
    # sha1 is WeChat's choice, not ours; the session_key is the secret that makes it a MAC.
    return hashlib.sha1((raw_data + session_key).encode("utf-8")).hexdigest()  # noqa: S324


def verify_raw_data(raw_data: str, signature: str, session_key: str | None) -> bool:
    """Whether ``signature`` signs ``raw_data`` under ``session_key`` (False without a key)."""
    if not session_key:
        return False
    return _matches(raw_data_signature(raw_data, session_key), signature)


def login_state_signature(session_key: str, message: str | bytes = b"") -> str:
    """Lowercase hex hmac_sha256 of ``message`` keyed with the session_key string."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    return hmac.new(session_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_login_state(message: str | bytes, signature: str, session_key: str | None) -> bool:
    """Whether ``signature`` is the login-state HMAC of ``message`` (False without a key)."""
    if not session_key:
        return False
    return _matches(login_state_signature(session_key, message), signature)
