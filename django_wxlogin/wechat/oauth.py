"""WeChat's OAuth for web pages and apps: Official Account web authorization (公众号网页授权),
website QR login (开放平台网站应用) and mobile apps (开放平台移动应用).

The browser is sent to ``authorize_url`` on ``OPEN_BASE_URL``; WeChat sends it back with a code,
which ``exchange_code`` trades once (``sns/oauth2/access_token``) for the openid, the scope
granted, the unionid when the app is bound to an Open Platform account, and
``is_snapshotuser`` on a snapshot page's virtual identity. ``userinfo`` adds the nickname and
avatar where the scope allows. Every call goes through ``WeChatClient.request``; the user's
access and refresh tokens never leave the objects returned here (nothing stores them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from ..exceptions import WeChatError, WeChatUnavailable
from ..settings import WEBSITE, WxApp, wxlogin_settings
from .client import WeChatClient

logger = logging.getLogger("django_wxlogin.wechat")

BASE, USERINFO, LOGIN = "snsapi_base", "snsapi_userinfo", "snsapi_login"


@dataclass(frozen=True)
class OAuthIdentity:
    """Who WeChat says logged in. ``scope`` is what was granted; ``snapshot`` marks the virtual
    identity of a snapshot page (快照页), which must never become a user."""

    openid: str
    unionid: str | None
    scope: str
    snapshot: bool = False
    nickname: str = ""
    avatar_url: str = ""
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)

    @property
    def has_profile_scope(self) -> bool:
        return any(s in (USERINFO, LOGIN) for s in self.scope.split(","))


def default_scope(app: WxApp) -> str:
    """What an app asks first: an Official Account its ``SCOPE`` (default snsapi_userinfo), a
    website app snsapi_login."""
    if app.kind == WEBSITE:
        return LOGIN
    return app.scope or USERINFO


def authorize_url(app: WxApp, redirect_uri: str, scope: str, state: str) -> str:
    """Where to send the browser: ``connect/qrconnect`` for a website app, else
    ``connect/oauth2/authorize``; the parameters in the order WeChat's pages want them."""
    page = "/connect/qrconnect" if app.kind == WEBSITE else "/connect/oauth2/authorize"
    query = urlencode([("appid", app.appid), ("redirect_uri", redirect_uri),
                       ("response_type", "code"), ("scope", scope), ("state", state)])
    return f"{wxlogin_settings.open_base_url}{page}?{query}#wechat_redirect"


def _text(data: dict[str, object], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _identity(data: dict[str, object], scope: str = "") -> OAuthIdentity:
    openid = _text(data, "openid")
    if not openid:
        logger.warning("WeChat answered an OAuth call without an openid")
        raise WeChatUnavailable()
    return OAuthIdentity(
        openid=openid, unionid=_text(data, "unionid") or None,
        scope=_text(data, "scope") or scope, snapshot=data.get("is_snapshotuser") == 1,
        access_token=_text(data, "access_token"), refresh_token=_text(data, "refresh_token"))


def exchange_code(client: WeChatClient, code: str) -> OAuthIdentity:
    """Trade an OAuth code (a browser's, or a mobile app SDK's) once; 40029/40163/41008 are
    ``InvalidCode``."""
    return _identity(client.request("GET", "/sns/oauth2/access_token", params={
        "appid": client.appid, "secret": client.secret, "code": code,
        "grant_type": "authorization_code"}))


def userinfo(client: WeChatClient, identity: OAuthIdentity) -> OAuthIdentity:
    """``identity`` with the nickname, avatar (and unionid) of ``sns/userinfo``; unchanged when
    the scope grants no profile. WeChat sends neither gender nor region since 2021-10-20."""
    if not identity.has_profile_scope:
        return identity
    data = client.request("GET", "/sns/userinfo", params={
        "access_token": identity.access_token, "openid": identity.openid, "lang": "zh_CN"})
    if _text(data, "openid") != identity.openid:
        logger.warning("WeChat sns/userinfo answered for another openid")
        raise WeChatUnavailable()
    return replace(identity, nickname=_text(data, "nickname")[:64],
                   avatar_url=_text(data, "headimgurl")[:512],
                   unionid=_text(data, "unionid") or identity.unionid,
                   snapshot=identity.snapshot or data.get("is_snapshotuser") == 1)


def refresh(client: WeChatClient, refresh_token: str) -> OAuthIdentity:
    """A new access token for a user (``sns/oauth2/refresh_token``: 30 days for web apps, 180
    for mobile apps)."""
    return _identity(client.request("GET", "/sns/oauth2/refresh_token", params={
        "appid": client.appid, "grant_type": "refresh_token", "refresh_token": refresh_token}))


def access_token_valid(client: WeChatClient, identity: OAuthIdentity) -> bool:
    """Whether a user's access token still works (``sns/auth``)."""
    try:
        client.request("GET", "/sns/auth", params={"access_token": identity.access_token,
                                                   "openid": identity.openid})
    except WeChatUnavailable:
        raise
    except WeChatError:
        return False
    return True
