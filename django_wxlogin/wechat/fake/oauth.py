"""WeChat's OAuth in the fake WeChat: Official Account web authorization, website QR login and
mobile-app codes, over real HTTP.

Pages (``OPEN_BASE_URL`` pointed at the fake):

``GET /connect/oauth2/authorize`` and ``GET /connect/qrconnect`` check the app (unknown: a page
with errcode 10016), the scope (snsapi_base / snsapi_userinfo for the first, snsapi_login for
the second, else 10005) and, when the fake was given ``redirect_hosts``, the redirect_uri's
host (else 10003, as WeChat's 网页授权域名 check). Then a small consent page lets a developer
pick who logs in; the pick (or ``&user=<name>`` in the URL, for scripts) redirects to
``redirect_uri?code=...&state=...``. A browser that picked someone before gets snsapi_base
silently, as inside WeChat. ``fake.double_redirects = True`` makes each redirect go through a
page that loads the callback twice with the same code, as WeChat sometimes does.

Who picks decides the answer:

=====================  ====================================================================
user                   answer of ``sns/oauth2/access_token``
=====================  ====================================================================
``alice``, ``bob``...  openid ``openid_for(appid, user)``; unionid ``unionid_for(user)`` with
                       snsapi_userinfo / snsapi_login, and with snsapi_base once that user
                       granted snsapi_userinfo to the app (as WeChat may do)
``nounion...``         no unionid ever (an app not bound to an Open Platform account)
``snapshot...``        with snsapi_userinfo: a snapshot page's virtual identity
                       (``is_snapshotuser: 1``, made-up openid and unionid)
=====================  ====================================================================

A code works once (then 40163) and only for its app (else 40029). A code the fake did not
issue is a mobile app SDK's: ``<user>.<anything>`` logs that user in with snsapi_userinfo,
``err.<errcode>`` answers that errcode. ``sns/userinfo`` answers 48001 for a snsapi_base
token; ``sns/oauth2/refresh_token`` and ``sns/auth`` check the user's tokens.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import secrets
import threading
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from .miniprogram import openid_for, unionid_for
from .server import FakeRequest, Reply, answer

_USER = re.compile(r"[A-Za-z0-9_-]{1,64}")
PICKS = ("alice", "bob", "nounion-carol", "snapshot-dan")
AUTHORIZE_SCOPES = ("snsapi_base", "snsapi_userinfo")
_COOKIE = "fakewechat_user"
_CONSENT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Fake WeChat: log in to {appid}</title></head><body>
<h1>Fake WeChat</h1><p>App <code>{appid}</code> asks <code>{scope}</code>. Who logs in?</p>
<form method="get" action="{path}">{hidden}
{buttons}
<p><label>Someone else <input name="user" pattern="[A-Za-z0-9_-]{{1,64}}"></label>
<button type="submit">Allow</button></p></form></body></html>"""
_DOUBLE = """<!doctype html><html><head><meta charset="utf-8"><title>Redirecting</title>
<script>fetch({target}, {{credentials: "include"}}).finally(function () {{
location.replace({target}); }});</script></head><body>Redirecting...</body></html>"""
_ERROR = """<!doctype html><html><head><meta charset="utf-8"><title>Error</title></head>
<body><h1>Fake WeChat</h1><p class="errcode">{errcode}</p><p>{errmsg}</p></body></html>"""


class OAuthAPI:
    """The open platform's pages and the ``sns/`` OAuth APIs."""

    _lock: threading.Lock  # the server's
    apps: dict[str, str] | None  # MiniProgramAPI's

    ROUTES: ClassVar[dict[tuple[str, str], str]] = {
        ("GET", "/connect/oauth2/authorize"): "authorize",
        ("GET", "/connect/qrconnect"): "qrconnect",
        ("GET", "/sns/oauth2/access_token"): "oauth_access_token",
        ("GET", "/sns/userinfo"): "oauth_userinfo",
        ("GET", "/sns/oauth2/refresh_token"): "oauth_refresh",
        ("GET", "/sns/auth"): "oauth_check",
    }

    def __init__(self, redirect_hosts: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redirect_hosts = redirect_hosts  # appid -> the host its console allows
        self.oauth_codes: dict[str, tuple[str, str, str]] = {}  # code -> (appid, user, scope)
        self.used_oauth_codes: set[tuple[str, str]] = set()
        self.user_tokens: dict[str, tuple[str, str, str]] = {}  # token -> (appid, user, scope)
        self.refresh_tokens: dict[str, tuple[str, str, str]] = {}
        self.granted: set[tuple[str, str]] = set()  # (appid, user) that allowed snsapi_userinfo
        self.double_redirects = False  # True: every redirect loads the callback twice
        self._serial = itertools.count(1)

    # -- the pages ---------------------------------------------------------------------------

    def authorize(self, request: FakeRequest) -> Reply:
        return self._page(request, AUTHORIZE_SCOPES)

    def qrconnect(self, request: FakeRequest) -> Reply:
        return self._page(request, ("snsapi_login",))

    def _page(self, request: FakeRequest, scopes: tuple[str, ...]) -> Reply:
        params = request.params
        appid, scope = params.get("appid", ""), params.get("scope", "")
        redirect_uri = params.get("redirect_uri", "")
        if not appid or (self.apps is not None and appid not in self.apps):
            return _error_page(10016, "appid invalid")
        if scope not in scopes:
            return _error_page(10005, "scope not authorized")
        host = urlsplit(redirect_uri).hostname or ""
        if not redirect_uri or (self.redirect_hosts is not None
                                and self.redirect_hosts.get(appid) != host):
            return _error_page(10003, "redirect_uri domain differs from the console's")
        user = params.get("user") or (
            _cookie(request, _COOKIE) if scope == "snsapi_base" else "")
        if not user:
            return self._consent(request, appid, scope)
        if not _USER.fullmatch(user):
            return _error_page(40029, "invalid user")
        code = f"{user}.oauth{next(self._serial)}{secrets.token_hex(4)}"
        with self._lock:
            self.oauth_codes[code] = (appid, user, scope)
        separator = "&" if urlsplit(redirect_uri).query else "?"
        query = urlencode({"code": code, "state": params.get("state", "")})
        target = f"{redirect_uri}{separator}{query}"
        cookie = {"Set-Cookie": f"{_COOKIE}={user}; Path=/; HttpOnly; SameSite=Lax"}
        if self.double_redirects:
            return Reply(200, _DOUBLE.format(target=_js(target)), cookie, "text/html")
        return Reply(302, b"", {"Location": target, **cookie})

    def _consent(self, request: FakeRequest, appid: str, scope: str) -> Reply:
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in request.params.items() if k != "user")
        buttons = "\n".join(f'<button type="submit" name="user" value="{name}">{name}</button>'
                            for name in PICKS)
        page = _CONSENT.format(appid=html.escape(appid), scope=html.escape(scope),
                               path=request.path, hidden=hidden, buttons=buttons)
        return Reply(200, page, content_type="text/html; charset=utf-8")

    # -- the APIs ----------------------------------------------------------------------------

    def oauth_access_token(self, request: FakeRequest) -> tuple[int, Any]:
        params = request.params
        appid, code = params.get("appid", ""), params.get("code", "")
        error = self._credentials_error(appid, params.get("secret"))  # type: ignore[attr-defined]
        if error:
            return error
        if not code:
            return answer(41008, "missing code")
        kind, _, arg = code.partition(".")
        if kind == "err":
            return answer(int(arg) if re.fullmatch(r"-?[0-9]{1,6}", arg) else 40029, "scripted")
        with self._lock:
            issued = self.oauth_codes.get(code)
            if (appid, code) in self.used_oauth_codes:
                return answer(40163, "code been used")
            if (issued is not None and issued[0] != appid) or not _USER.fullmatch(kind):
                return answer(40029, "invalid code")
            self.used_oauth_codes.add((appid, code))
            _, user, scope = issued or (appid, kind, "snsapi_userinfo")
            if scope == "snsapi_userinfo":
                self.granted.add((appid, user))
            result = self._tokens(appid, user, scope)
        return 200, result

    def _tokens(self, appid: str, user: str, scope: str) -> dict[str, Any]:
        access, refresh = f"UAT-{secrets.token_urlsafe(16)}", f"URT-{secrets.token_urlsafe(16)}"
        self.user_tokens[access] = self.refresh_tokens[refresh] = (appid, user, scope)
        result: dict[str, Any] = {"access_token": access, "expires_in": 7200,
                                  "refresh_token": refresh, "scope": scope,
                                  **self._who(appid, user, scope)}
        return result

    def _who(self, appid: str, user: str, scope: str) -> dict[str, Any]:
        if user.startswith("snapshot") and scope == "snsapi_userinfo":
            virtual = f"virtual-{secrets.token_hex(4)}"
            return {"openid": openid_for(appid, virtual), "unionid": unionid_for(virtual),
                    "is_snapshotuser": 1}
        who: dict[str, Any] = {"openid": openid_for(appid, user)}
        unionid = unionid_for(user)
        if unionid and (scope != "snsapi_base" or (appid, user) in self.granted):
            who["unionid"] = unionid
        return who

    def oauth_userinfo(self, request: FakeRequest) -> tuple[int, Any]:
        with self._lock:
            found = self.user_tokens.get(request.params.get("access_token", ""))
        if found is None:
            return answer(40001, "invalid credential")
        appid, user, scope = found
        if scope == "snsapi_base":
            return answer(48001, "api unauthorized")
        if request.params.get("openid") != openid_for(appid, user) and \
                not user.startswith("snapshot"):
            return answer(40003, "invalid openid")
        info: dict[str, Any] = {"openid": request.params.get("openid"),
                                "nickname": user.capitalize(), "sex": 0, "province": "",
                                "city": "", "country": "", "privilege": [],
                                "headimgurl": f"https://thirdwx.qlogo.cn/fake/{user}/132"}
        unionid = unionid_for(user)
        if unionid and not user.startswith("snapshot"):
            info["unionid"] = unionid
        if user.startswith("snapshot"):
            info.update(nickname="微信用户", is_snapshotuser=1)
        return 200, info

    def oauth_refresh(self, request: FakeRequest) -> tuple[int, Any]:
        with self._lock:
            found = self.refresh_tokens.get(request.params.get("refresh_token", ""))
            if found is None or found[0] != request.params.get("appid"):
                return answer(40030, "invalid refresh_token")
            return 200, self._tokens(*found)

    def oauth_check(self, request: FakeRequest) -> tuple[int, Any]:
        with self._lock:
            found = self.user_tokens.get(request.params.get("access_token", ""))
        if found is None or openid_for(found[0], found[1]) != request.params.get("openid"):
            return answer(40003, "invalid openid")
        return answer(0, "ok")


def _error_page(errcode: int, errmsg: str) -> Reply:
    """WeChat shows its errors on its own page (the browser never comes back)."""
    return Reply(200, _ERROR.format(errcode=errcode, errmsg=html.escape(errmsg)),
                 content_type="text/html; charset=utf-8")


def _cookie(request: FakeRequest, name: str) -> str:
    header = next((v for k, v in request.headers.items() if k.lower() == "cookie"), "")
    found = parse_qs(header.replace("; ", "&")).get(name, [""])[0]
    return found if _USER.fullmatch(found or "") else ""


def _js(value: str) -> str:
    """A JavaScript string literal, safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c")
