"""The mini program's server API in the fake WeChat: code2Session, access tokens, phone
numbers and session-key checks (the scripted codes are listed in the package's docstring)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from typing import Any, ClassVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7

from .server import FakeRequest, answer

_USER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PHONE = re.compile(r"[0-9]{5,15}")
CLASSIC_OVERLAP = 300  # seconds an earlier classic token stays valid after a new one


def _hash(*parts: str) -> bytes:
    return hashlib.sha256("|".join(parts).encode()).digest()


def openid_for(appid: str, user: str) -> str:
    return "o" + base64.urlsafe_b64encode(_hash("openid", appid, user)).decode()[:27]


def unionid_for(user: str) -> str | None:
    if user.startswith("nounion"):
        return None
    return "u" + base64.urlsafe_b64encode(_hash("unionid", user)).decode()[:27]


def session_key_for(appid: str, code: str) -> str:
    """The session_key the fake hands out for a code: 16 bytes, base64, like WeChat's."""
    return base64.b64encode(_hash("session_key", appid, code)[:16]).decode()


def encrypt(plaintext: bytes, session_key: str) -> dict[str, str]:
    """WeChat's encryption of user data: AES-128-CBC under the session_key, PKCS#7, a random
    IV; ``{"encrypted_data", "iv"}`` in base64, as the mini program posts them."""
    iv = os.urandom(16)
    padder = PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(base64.b64decode(session_key)), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return {"encrypted_data": base64.b64encode(ciphertext).decode(),
            "iv": base64.b64encode(iv).decode()}


def encrypted_data_for(appid: str, code: str, data: dict[str, Any]) -> dict[str, str]:
    """``data`` with ``appid``'s watermark, encrypted for the session_key of login ``code``."""
    stamped = {**data, "watermark": {"timestamp": int(time.time()), "appid": appid}}
    return encrypt(json.dumps(stamped, ensure_ascii=False).encode(), session_key_for(appid, code))


class MiniProgramAPI:
    """code2Session, the classic and stable access tokens, getuserphonenumber, checksession."""

    _lock: threading.Lock  # the server's

    ROUTES: ClassVar[dict[tuple[str, str], str]] = {
        ("GET", "/sns/jscode2session"): "code2session",
        ("GET", "/cgi-bin/token"): "classic_token",
        ("POST", "/cgi-bin/stable_token"): "stable_token",
        ("POST", "/wxa/business/getuserphonenumber"): "phone_number",
        ("GET", "/wxa/checksession"): "check_session",
    }

    def __init__(self, apps: dict[str, str] | None = None, access_token_ttl: int = 7200,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.apps = apps
        self.access_token_ttl = access_token_ttl
        self.used_codes: set[tuple[str, str]] = set()
        self.used_phone_codes: set[tuple[str, str]] = set()
        self.access_tokens: dict[str, tuple[str, float]] = {}  # token -> (appid, expiry)
        self.stable_tokens: dict[str, str] = {}  # appid -> its stable token
        self.classic_tokens: dict[str, str] = {}  # appid -> its latest classic token
        self.session_keys: dict[tuple[str, str], str] = {}  # (appid, openid) -> latest key

    def expire_access_tokens(self) -> None:
        """Void every access token, as when WeChat expires or replaces them (next use: 40001)."""
        with self._lock:
            self.access_tokens.clear()
            self.stable_tokens.clear()
            self.classic_tokens.clear()

    def _credentials_error(self, appid: Any, secret: Any) -> tuple[int, Any] | None:
        if not appid:
            return answer(41002, "appid missing")
        if self.apps is not None and appid not in self.apps:
            return answer(40013, "invalid appid")
        if self.apps is not None and secret != self.apps[appid]:
            return answer(40125, "invalid appsecret")
        return None

    def _live_token(self, token: str) -> bool:
        return token in self.access_tokens and self.access_tokens[token][1] > time.time()

    def _token_answer(self, token: str) -> tuple[int, Any]:
        expires_in = int(self.access_tokens[token][1] - time.time())
        return 200, {"access_token": token, "expires_in": expires_in}

    def _new_token(self, appid: str) -> str:
        token = f"AT-{secrets.token_urlsafe(24)}"
        self.access_tokens[token] = (appid, time.time() + self.access_token_ttl)
        return token

    def classic_token(self, request: FakeRequest) -> tuple[int, Any]:
        params = request.params
        appid = str(params.get("appid") or "")
        error = self._credentials_error(appid, params.get("secret"))
        if error:
            return error
        if params.get("grant_type") != "client_credential":
            return answer(40002, "invalid grant_type")
        with self._lock:
            earlier = self.classic_tokens.get(appid, "")
            if earlier in self.access_tokens:
                _, expiry = self.access_tokens[earlier]
                self.access_tokens[earlier] = (appid, min(expiry, time.time() + CLASSIC_OVERLAP))
            token = self.classic_tokens[appid] = self._new_token(appid)
            return self._token_answer(token)

    def stable_token(self, request: FakeRequest) -> tuple[int, Any]:
        body = request.body
        if not isinstance(body, dict):
            return answer(47001, "data format error")
        appid = str(body.get("appid") or "")
        error = self._credentials_error(appid, body.get("secret"))
        if error:
            return error
        if body.get("grant_type") != "client_credential":
            return answer(40002, "invalid grant_type")
        with self._lock:
            token = self.stable_tokens.get(appid, "")
            if body.get("force_refresh") is True or not self._live_token(token):
                self.access_tokens.pop(token, None)
                token = self.stable_tokens[appid] = self._new_token(appid)
            return self._token_answer(token)

    def _token_app(self, params: dict[str, Any]) -> tuple[str, tuple[int, Any] | None]:
        """The app an API call's access token belongs to, or "" and WeChat's error answer."""
        token = params.get("access_token")
        if not token:
            return "", answer(41001, "access_token missing")
        with self._lock:
            if token not in self.access_tokens:
                return "", answer(40001, "invalid credential, access_token is invalid or "
                                          "not latest")
            appid, expiry = self.access_tokens[token]
        if expiry <= time.time():
            return "", answer(42001, "access_token expired")
        return appid, None

    def phone_number(self, request: FakeRequest) -> tuple[int, Any]:
        params, body = request.params, request.body
        appid, error = self._token_app(params)
        if error:
            return error
        code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(code, str) or not code:
            return answer(41008, "missing code")
        kind, _, arg = code.partition(".")
        if kind == "err" and re.fullmatch(r"-?[0-9]{1,6}", arg):
            return answer(int(arg), "scripted error")
        if kind != "phone" or not _PHONE.fullmatch(arg):
            return answer(40029, "invalid code")
        with self._lock:
            if (appid, code) in self.used_phone_codes:
                return answer(40029, "invalid code")
            self.used_phone_codes.add((appid, code))
        return 200, {"errcode": 0, "errmsg": "ok", "phone_info": {
            "phoneNumber": arg, "purePhoneNumber": arg, "countryCode": 86,
            "watermark": {"timestamp": int(time.time()), "appid": appid},
        }}

    def check_session(self, request: FakeRequest) -> tuple[int, Any]:
        params = request.params
        appid, error = self._token_app(params)
        if error:
            return error
        with self._lock:
            session_key = self.session_keys.get((appid, str(params.get("openid"))))
        if session_key is None:
            return answer(40003, "invalid openid")
        expected = hmac.new(session_key.encode(), b"", hashlib.sha256).hexdigest()
        if params.get("sig_method") != "hmac_sha256" \
                or not hmac.compare_digest(expected, str(params.get("signature", ""))):
            return answer(87009, "invalid signature")
        return answer(0, "ok")

    def code2session(self, request: FakeRequest) -> tuple[int, Any]:
        params = request.params
        appid, code = str(params.get("appid") or ""), str(params.get("js_code") or "")
        error = self._credentials_error(appid, params.get("secret"))
        if error:
            return error
        if not code:
            return answer(41008, "missing code")
        kind, _, arg = code.partition(".")
        if kind == "err":
            errcode = int(arg) if re.fullmatch(r"-?[0-9]{1,6}", arg) else 40029
            return answer(errcode, "scripted error")
        if kind == "http":
            status = int(arg) if re.fullmatch(r"[1-5][0-9]{2}", arg) else 500
            return status, "<html><body>error</body></html>"
        if kind == "garbage":
            return 200, "<html>not json</html>"
        if kind == "slow":
            time.sleep(float(arg or 1))
        if kind == "nokey":
            return 200, {"openid": openid_for(appid, kind)}
        if not _USER.fullmatch(kind):
            return answer(40029, "invalid code")
        result = {"openid": openid_for(appid, kind), "session_key": session_key_for(appid, code)}
        with self._lock:
            if (appid, code) in self.used_codes:
                return answer(40163, "code been used")
            self.used_codes.add((appid, code))
            self.session_keys[(appid, result["openid"])] = result["session_key"]
        unionid = unionid_for(kind)
        if unionid:
            result["unionid"] = unionid
        return 200, result
