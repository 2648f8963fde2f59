"""A fake WeChat server API on loopback, for tests and offline development.

It speaks ``/sns/jscode2session`` over real HTTP. What a code does is scripted by its text:

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

Run it on its own with ``python -m django_wxlogin.fake_wechat --port 8090 --app APPID:SECRET``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_USER = re.compile(r"[A-Za-z0-9_-]{1,64}")


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


class FakeWeChat:
    """``with FakeWeChat(apps={"wx123": "secret"}) as fake: fake.url`` (apps=None: any app)."""

    def __init__(self, apps: dict[str, str] | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.apps = apps
        self.used_codes: set[tuple[str, str]] = set()
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWeChat:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-wechat")
        self._thread.start()
        return self

    def stop(self) -> None:
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

    def log(self, path: str, params: dict[str, str]) -> None:
        safe = {k: v for k, v in params.items() if k not in ("secret", "js_code", "code")}
        with self._lock:
            self.requests.append({"path": path, "params": safe, "time": time.time()})

    def code2session(self, params: dict[str, str]) -> tuple[int, Any]:
        appid, secret, code = params.get("appid"), params.get("secret"), params.get("js_code")
        if not appid:
            return 200, {"errcode": 41002, "errmsg": "appid missing"}
        if self.apps is not None and appid not in self.apps:
            return 200, {"errcode": 40013, "errmsg": "invalid appid"}
        if self.apps is not None and secret != self.apps[appid]:
            return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
        if not code:
            return 200, {"errcode": 41008, "errmsg": "missing code"}
        kind, _, arg = code.partition(".")
        if kind == "err":
            errcode = int(arg) if re.fullmatch(r"-?[0-9]{1,6}", arg) else 40029
            return 200, {"errcode": errcode, "errmsg": "scripted error"}
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
            return 200, {"errcode": 40029, "errmsg": "invalid code"}
        with self._lock:
            if (appid, code) in self.used_codes:
                return 200, {"errcode": 40163, "errmsg": "code been used"}
            self.used_codes.add((appid, code))
        answer = {"openid": openid_for(appid, kind), "session_key": session_key_for(appid, code)}
        unionid = unionid_for(kind)
        if unionid:
            answer["unionid"] = unionid
        return 200, answer


def _handler(fake: FakeWeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # its URLs carry secrets; the request log above is the record

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            fake.log(url.path, params)
            if url.path == "/sns/jscode2session":
                status, body = fake.code2session(params)
            else:
                status, body = 404, {"errcode": 404, "errmsg": "no such API in the fake"}
            self._send(status, body)

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
    args = parser.parse_args(argv)
    apps = dict(a.split(":", 1) for a in args.app) or None
    fake = FakeWeChat(apps, args.host, args.port)
    print(f"Fake WeChat on {fake.url} (Ctrl-C stops it)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake._server.serve_forever()


if __name__ == "__main__":
    main()
