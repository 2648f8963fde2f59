"""WeChat's server API over one pooled HTTP session per process.

A login code works once, so nothing here ever retries a call on its own. WeChat's answers are
mapped onto typed errors by :mod:`.errors`. The appsecret rides in query strings (WeChat wants
it there), so every log record of the HTTP stack is scrubbed of it (:mod:`.redaction`) and no
error raised here carries the URL.
"""

from __future__ import annotations

import ipaddress
import json as json_module
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..exceptions import WeChatUnavailable
from ..settings import WxApp, wxlogin_settings
from .api_security.transport import seal
from .errors import error_for
from .redaction import install_log_redaction

logger = logging.getLogger("django_wxlogin.wechat")

_local = threading.local()


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` points at this machine: where the fake WeChat, or a stand-in, listens
    (never the real WeChat; see the system check wxlogin.E023)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def http_session() -> requests.Session:
    """This process's keep-alive session (a new one after a fork, never one per request)."""
    session = getattr(_local, "session", None)
    if session is None or _local.pid != os.getpid():
        install_log_redaction()
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=32)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = "django-wxlogin"
        _local.session, _local.pid = session, os.getpid()
    return session


@dataclass(frozen=True)
class AccessTokenResult:
    access_token: str
    expires_in: int

    def __repr__(self) -> str:
        return f"AccessTokenResult(expires_in={self.expires_in!r})"


@dataclass(frozen=True)
class Code2SessionResult:
    openid: str
    session_key: str
    unionid: str | None

    def __repr__(self) -> str:  # keeps the session_key out of tracebacks and logs
        return f"Code2SessionResult(openid={self.openid!r}, unionid={self.unionid!r})"


class WeChatClient:
    """Calls one mini program's server API; see ``client()`` for the configured app."""

    def __init__(self, appid: str, secret: str, base_url: str | None = None) -> None:
        self.appid = appid
        self.secret = secret
        self.base_url = (base_url or wxlogin_settings.api_base_url).rstrip("/")

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self.appid!r}, base_url={self.base_url!r})"

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None) -> dict[str, Any]:
        """One call, no retry: WeChat's JSON answer, or a typed :class:`WeChatError`."""
        return self._json(path, self._send(method, path, params, json)[0])

    def request_bytes(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      json: Any = None) -> bytes:
        """One call whose success is not JSON (an image): its body. WeChat answers errors as
        JSON even there, so a JSON answer is mapped like any other and never returned."""
        content, content_type = self._send(method, path, params, json)
        if content_type.split(";")[0].strip() in ("application/json", "text/plain") \
                or content[:1] == b"{":
            self._json(path, content)
            logger.warning("WeChat %s answered JSON without an errcode", path)
            raise WeChatUnavailable()
        return content

    def _send(self, method: str, path: str, params: dict[str, Any] | None,
              json: Any) -> tuple[bytes, str]:
        """The answer's body and Content-Type; with the app's API security on for ``path``,
        sent sealed and answered only once verified (:mod:`.api_security`)."""
        timeout = (wxlogin_settings.CONNECT_TIMEOUT, wxlogin_settings.READ_TIMEOUT)
        sealed = seal(self.appid, self.base_url, method, path, params, json)
        outgoing: dict[str, Any] = {"params": params, "json": json} if sealed is None else {
            "params": sealed.params, "data": sealed.body, "headers": sealed.headers}
        response = None
        try:
            response = http_session().request(
                method, self.base_url + path, timeout=timeout, **outgoing
            )
        except requests.RequestException as exc:
            # Its text holds the URL, and so the secret: log the type only.
            logger.warning("WeChat %s failed: %s", path, type(exc).__name__)
        if response is None:
            raise WeChatUnavailable()  # raised outside the except: no __context__ to leak
        if response.status_code >= 400:
            logger.warning("WeChat %s answered HTTP %s", path, response.status_code)
            raise WeChatUnavailable()
        content_type = response.headers.get("Content-Type", "")
        if sealed is not None:
            return sealed.open(response.headers, response.content, content_type)
        return response.content, content_type

    def _json(self, path: str, content: bytes) -> dict[str, Any]:
        try:
            data = json_module.loads(content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            logger.warning("WeChat %s answered something that is not a JSON object", path)
            raise WeChatUnavailable()
        errcode = data.get("errcode") or 0
        if errcode:
            raise error_for(errcode, self.appid, path)
        return data

    def code2session(self, code: str) -> Code2SessionResult:
        """Exchange a ``wx.login()`` code for the user's openid, unionid and session_key."""
        data = self.request("GET", "/sns/jscode2session", params={
            "appid": self.appid,
            "secret": self.secret,
            "js_code": code,
            "grant_type": "authorization_code",
        })
        openid, session_key = data.get("openid"), data.get("session_key")
        if not isinstance(openid, str) or not openid or not isinstance(session_key, str) \
                or not session_key:
            logger.warning("WeChat code2Session answered without openid or session_key")
            raise WeChatUnavailable()
        unionid = data.get("unionid")
        return Code2SessionResult(openid, session_key, unionid if unionid else None)

    def fetch_access_token(self, endpoint: str = "stable") -> AccessTokenResult:
        """An access token from the ``"stable"`` endpoint, or the ``"classic"`` one (whose every
        call voids the classic token every other server of this app is using)."""
        credentials = {"grant_type": "client_credential", "appid": self.appid,
                       "secret": self.secret}
        if endpoint == "classic":
            data = self.request("GET", "/cgi-bin/token", params=credentials)
        else:
            data = self.request("POST", "/cgi-bin/stable_token",
                                json={**credentials, "force_refresh": False})
        token, expires_in = data.get("access_token"), data.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int) \
                or isinstance(expires_in, bool) or expires_in <= 0:
            logger.warning("WeChat answered an access token request without a usable token")
            raise WeChatUnavailable()
        return AccessTokenResult(token, expires_in)


def client(app: WxApp | None = None) -> WeChatClient:
    """The client of ``app``, by default the only configured mini program."""
    app = app or wxlogin_settings.app()
    return WeChatClient(app.appid, app.secret)
