"""A fake WeChat server API on loopback, for tests and offline development.

It speaks WeChat's mini-program APIs over real HTTP. What a login code does is scripted by its
text:

=====================  ====================================================================
code                   answer
=====================  ====================================================================
``alice``, ``alice.2``  success for user "alice" (the part before the first dot); the openid
                       depends on the appid and the user, the unionid on the user alone
                       (none for users whose name starts with ``nounion``); every code works
                       once, as on WeChat, and answers errcode 40163 after that
``err.<errcode>``      that errcode, e.g. ``err.40029``, ``err.45011``, ``err.-1``
``slow.<seconds>``     success for user "slow" after that many seconds
``http.<status>``      that HTTP status with an HTML body
``garbage``            HTTP 200 with a body that is not JSON
``nokey``              HTTP 200 JSON without ``session_key``
=====================  ====================================================================

Access tokens come from ``GET /cgi-bin/token`` (each call leaves the app's earlier classic
tokens five more minutes, as WeChat does) and ``POST /cgi-bin/stable_token`` (the same token
until it expires, unless ``force_refresh``); both live ``access_token_ttl`` seconds (7200).
``expire_access_tokens()`` voids them all at once: the next call with one answers 40001.
The APIs that take one answer 41001 without it, 40001 for an unknown one, 42001 for an
expired one.

``POST /wxa/business/getuserphonenumber`` takes scripted codes, each once (then 40029):

=====================  ====================================================================
``phone.<digits>``     that mainland number, ``countryCode`` 86 as a JSON number (as WeChat
                       sometimes sends it), e.g. ``phone.13800138000``
``err.<errcode>``      that errcode, e.g. ``err.40029``, ``err.45011``, ``err.-1``
anything else          40029
=====================  ====================================================================

``GET /wxa/checksession`` answers 0 when ``signature`` is hmac_sha256(session_key, "") of the
session_key the openid's latest login got, else 87009 (40003 for an openid never seen).

``fake.requests`` (or ``fake.calls(path)``) is the log of every call, without secrets, codes or
access tokens. ``encrypted_data_for`` encrypts data for a login code's session_key, as the mini
program receives it from WeChat.

Run it on its own with ``python -m django_wxlogin.wechat.fake --port 8090 --app APPID:SECRET``;
``python -m django_wxlogin.wechat.fake encrypt --appid APPID --code CODE '{"k": "v"}'`` prints
a ``{"encrypted_data", "iv"}`` body for ``POST decrypt/``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7

_USER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PHONE = re.compile(r"[0-9]{5,15}")
_UNLOGGED = ("secret", "js_code", "code", "access_token")
CLASSIC_OVERLAP = 300  # seconds an earlier classic token stays valid after a new one


def _answer(errcode: int, errmsg: str) -> tuple[int, dict[str, Any]]:
    return 200, {"errcode": errcode, "errmsg": errmsg}


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # concurrent logins in tests overflow socketserver's backlog of 5


class FakeWeChat:
    """``with FakeWeChat(apps={"wx123": "secret"}) as fake: fake.url`` (apps=None: any app)."""

    serving: ClassVar[set[str]] = set()  # the URLs of those running in this process (wxlogin.E023)

    def __init__(self, apps: dict[str, str] | None = None, host: str = "127.0.0.1",
                 port: int = 0, access_token_ttl: int = 7200) -> None:
        self.apps = apps
        self.access_token_ttl = access_token_ttl
        self.used_codes: set[tuple[str, str]] = set()
        self.used_phone_codes: set[tuple[str, str]] = set()
        self.requests: list[dict[str, Any]] = []
        self.access_tokens: dict[str, tuple[str, float]] = {}  # token -> (appid, expiry)
        self.stable_tokens: dict[str, str] = {}  # appid -> its stable token
        self.classic_tokens: dict[str, str] = {}  # appid -> its latest classic token
        self.session_keys: dict[tuple[str, str], str] = {}  # (appid, openid) -> latest key
        self._lock = threading.Lock()
        self._server = _Server((host, port), _handler(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeWeChat:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-wechat")
        self._thread.start()
        FakeWeChat.serving.add(self.url)
        return self

    def stop(self) -> None:
        FakeWeChat.serving.discard(self.url)
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def calls(self, path: str) -> list[dict[str, Any]]:
        """The logged requests to one path (secrets left out)."""
        with self._lock:
            return [r for r in self.requests if r["path"] == path]

    def log(self, method: str, path: str, params: dict[str, Any]) -> None:
        safe = {k: v for k, v in params.items() if k not in _UNLOGGED}
        with self._lock:
            self.requests.append({"method": method, "path": path, "params": safe,
                                  "time": time.time()})

    def expire_access_tokens(self) -> None:
        """Void every access token, as when WeChat expires or replaces them (next use: 40001)."""
        with self._lock:
            self.access_tokens.clear()
            self.stable_tokens.clear()
            self.classic_tokens.clear()

    def _credentials_error(self, appid: Any, secret: Any) -> tuple[int, Any] | None:
        if not appid:
            return _answer(41002, "appid missing")
        if self.apps is not None and appid not in self.apps:
            return _answer(40013, "invalid appid")
        if self.apps is not None and secret != self.apps[appid]:
            return _answer(40125, "invalid appsecret")
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

    def classic_token(self, params: dict[str, Any], body: Any) -> tuple[int, Any]:
        appid = str(params.get("appid") or "")
        error = self._credentials_error(appid, params.get("secret"))
        if error:
            return error
        if params.get("grant_type") != "client_credential":
            return _answer(40002, "invalid grant_type")
        with self._lock:
            earlier = self.classic_tokens.get(appid, "")
            if earlier in self.access_tokens:
                _, expiry = self.access_tokens[earlier]
                self.access_tokens[earlier] = (appid, min(expiry, time.time() + CLASSIC_OVERLAP))
            token = self.classic_tokens[appid] = self._new_token(appid)
            return self._token_answer(token)

    def stable_token(self, params: dict[str, Any], body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return _answer(47001, "data format error")
        appid = str(body.get("appid") or "")
        error = self._credentials_error(appid, body.get("secret"))
        if error:
            return error
        if body.get("grant_type") != "client_credential":
            return _answer(40002, "invalid grant_type")
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
            return "", _answer(41001, "access_token missing")
        with self._lock:
            if token not in self.access_tokens:
                return "", _answer(40001, "invalid credential, access_token is invalid or "
                                          "not latest")
            appid, expiry = self.access_tokens[token]
        if expiry <= time.time():
            return "", _answer(42001, "access_token expired")
        return appid, None

    def phone_number(self, params: dict[str, Any], body: Any) -> tuple[int, Any]:
        appid, error = self._token_app(params)
        if error:
            return error
        code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(code, str) or not code:
            return _answer(41008, "missing code")
        kind, _, arg = code.partition(".")
        if kind == "err" and re.fullmatch(r"-?[0-9]{1,6}", arg):
            return _answer(int(arg), "scripted error")
        if kind != "phone" or not _PHONE.fullmatch(arg):
            return _answer(40029, "invalid code")
        with self._lock:
            if (appid, code) in self.used_phone_codes:
                return _answer(40029, "invalid code")
            self.used_phone_codes.add((appid, code))
        return 200, {"errcode": 0, "errmsg": "ok", "phone_info": {
            "phoneNumber": arg, "purePhoneNumber": arg, "countryCode": 86,
            "watermark": {"timestamp": int(time.time()), "appid": appid},
        }}

    def check_session(self, params: dict[str, Any], body: Any) -> tuple[int, Any]:
        appid, error = self._token_app(params)
        if error:
            return error
        with self._lock:
            session_key = self.session_keys.get((appid, str(params.get("openid"))))
        if session_key is None:
            return _answer(40003, "invalid openid")
        expected = hmac.new(session_key.encode(), b"", hashlib.sha256).hexdigest()
        if params.get("sig_method") != "hmac_sha256" \
                or not hmac.compare_digest(expected, str(params.get("signature", ""))):
            return _answer(87009, "invalid signature")
        return _answer(0, "ok")

    def code2session(self, params: dict[str, Any], body: Any) -> tuple[int, Any]:
        appid, code = str(params.get("appid") or ""), str(params.get("js_code") or "")
        error = self._credentials_error(appid, params.get("secret"))
        if error:
            return error
        if not code:
            return _answer(41008, "missing code")
        kind, _, arg = code.partition(".")
        if kind == "err":
            errcode = int(arg) if re.fullmatch(r"-?[0-9]{1,6}", arg) else 40029
            return _answer(errcode, "scripted error")
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
            return _answer(40029, "invalid code")
        answer = {"openid": openid_for(appid, kind), "session_key": session_key_for(appid, code)}
        with self._lock:
            if (appid, code) in self.used_codes:
                return _answer(40163, "code been used")
            self.used_codes.add((appid, code))
            self.session_keys[(appid, answer["openid"])] = answer["session_key"]
        unionid = unionid_for(kind)
        if unionid:
            answer["unionid"] = unionid
        return 200, answer


def _handler(fake: FakeWeChat) -> type[BaseHTTPRequestHandler]:
    routes: dict[tuple[str, str], Callable[[dict[str, Any], Any], tuple[int, Any]]] = {
        ("GET", "/sns/jscode2session"): fake.code2session,
        ("GET", "/cgi-bin/token"): fake.classic_token,
        ("POST", "/cgi-bin/stable_token"): fake.stable_token,
        ("POST", "/wxa/business/getuserphonenumber"): fake.phone_number,
        ("GET", "/wxa/checksession"): fake.check_session,
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle on, a keep-alive client's delayed
        # ACK holds every answer back some 40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # its URLs carry secrets; the request log above is the record

        def do_GET(self) -> None:
            self._serve("GET", None)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            self._serve("POST", body)

        def _serve(self, method: str, body: Any) -> None:
            url = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            fake.log(method, url.path, {**params, **(body if isinstance(body, dict) else {})})
            route = routes.get((method, url.path))
            if route is None:
                status, answer = 404, {"errcode": 404, "errmsg": "no such API in the fake"}
            else:
                status, answer = route(params, body)
            self._send(status, answer)

        def _send(self, status: int, body: Any) -> None:
            raw = (json.dumps(body) if not isinstance(body, str) else body).encode()
            self.send_response(status)
            # WeChat answers code2Session as text/plain: clients must not trust the header.
            self.send_header("Content-Type", "text/plain" if status == 200 else "text/html")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake WeChat server API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--app", action="append", default=[], metavar="APPID:SECRET",
                        help="accept only these apps (default: any)")
    commands = parser.add_subparsers(dest="command")
    encrypt_command = commands.add_parser(
        "encrypt", help="print a POST decrypt/ body for a login code's session_key")
    encrypt_command.add_argument("--appid", required=True)
    encrypt_command.add_argument("--code", required=True, help="the login code used")
    encrypt_command.add_argument("data", help="a JSON object, e.g. a phone number payload")
    args = parser.parse_args(argv)
    if args.command == "encrypt":
        print(json.dumps(encrypted_data_for(args.appid, args.code, json.loads(args.data))))
        return
    apps = dict(a.split(":", 1) for a in args.app) or None
    fake = FakeWeChat(apps, args.host, args.port)
    print(f"Fake WeChat on {fake.url} (Ctrl-C stops it)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake._server.serve_forever()


if __name__ == "__main__":
    main()
