"""The fake WeChat's HTTP plumbing: a threaded server on loopback, the request log, and the
routing of each ``(method, path)`` to the API that answers it.

Each WeChat surface the fake speaks is a mixin in a module of its own (``miniprogram.py``, ...)
that declares its routes in ``ROUTES``; ``FakeWeChat`` in ``__init__.py`` combines them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

_UNLOGGED = ("secret", "js_code", "code", "access_token", "refresh_token")


def answer(errcode: int, errmsg: str) -> tuple[int, dict[str, Any]]:
    """WeChat's error answer: HTTP 200 with ``errcode`` and ``errmsg``."""
    return 200, {"errcode": errcode, "errmsg": errmsg}


@dataclass(frozen=True)
class FakeRequest:
    """One request as a route sees it: the query, the body (parsed JSON, or None), the raw
    body and the headers."""

    method: str
    path: str
    params: dict[str, str]
    body: Any
    raw: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """An answer that is not plain JSON: an image, a page, a redirect, or signed headers."""

    status: int
    body: bytes | str | dict[str, Any] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "text/plain"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # concurrent logins in tests overflow socketserver's backlog of 5


class FakeServer:
    """Starts and stops the server, logs every call without secrets, and routes each request
    to the method named in a mixin's ``ROUTES``."""

    ROUTES: ClassVar[dict[tuple[str, str], str]] = {}
    serving: ClassVar[set[str]] = set()  # the URLs of those running in this process (wxlogin.E023)

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = _Server((host, port), _handler(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Any:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-wechat")
        self._thread.start()
        FakeServer.serving.add(self.url)
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        FakeServer.serving.discard(self.url)
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Any:
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

    def route(self, method: str, path: str) -> Any:
        """The bound method that answers ``method path``, from every mixin's ``ROUTES``."""
        for cls in type(self).__mro__:
            name = cls.__dict__.get("ROUTES", {}).get((method, path))
            if name:
                return getattr(self, name)
        return None

    def dispatch(self, request: FakeRequest) -> tuple[int, Any] | Reply:
        handler = self.route(request.method, request.path)
        if handler is None:
            return 404, {"errcode": 404, "errmsg": "no such API in the fake"}
        result: tuple[int, Any] | Reply = handler(request)
        return result


def _handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle on, a keep-alive client's delayed
        # ACK holds every answer back some 40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # its URLs carry secrets; the request log is the record

        def do_GET(self) -> None:
            self._serve("GET", b"")

        def do_POST(self) -> None:
            self._serve("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _serve(self, method: str, raw: bytes) -> None:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            url = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            fake.log(method, url.path, {**params, **(body if isinstance(body, dict) else {})})
            result = fake.dispatch(FakeRequest(method, url.path, params, body, raw,
                                               dict(self.headers.items())))
            if isinstance(result, Reply):
                self._send(result)
            else:
                status, content = result
                # WeChat answers code2Session as text/plain: clients must not trust the header.
                self._send(Reply(status, content,
                                 content_type="text/plain" if status == 200 else "text/html"))

        def _send(self, reply: Reply) -> None:
            body = reply.body
            raw = json.dumps(body).encode() if isinstance(body, dict) else \
                body.encode() if isinstance(body, str) else body
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler
