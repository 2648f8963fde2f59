"""The package's settings: one ``WXLOGIN`` dict in the project's settings.

Every value is read when it is used, never bound at import time, so ``override_settings``
and settings changed at run time take effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.utils.translation import gettext_lazy as _

from .exceptions import UnknownApp

DEFAULTS: dict[str, Any] = {
    # The mini program's credentials, from the WeChat admin console (开发管理 -> 开发设置).
    "APPID": "",
    "SECRET": "",
    # Several mini programs in one backend, instead of APPID and SECRET: a list of
    # {"APPID": ..., "SECRET": ..., "NAME": ...} (NAME optional: a slug for login/<app>/).
    "APPS": [],
    # Where WeChat's server API lives; point it at the fake WeChat for offline work.
    "API_BASE_URL": "https://api.weixin.qq.com",
    # Seconds to wait for WeChat to accept the connection and to answer.
    "CONNECT_TIMEOUT": 3.0,
    "READ_TIMEOUT": 5.0,
    # Absolute lifetime of a token (seconds or timedelta).
    "TOKEN_TTL": timedelta(days=7),
    # A token unused for this long dies early (seconds or timedelta); None turns it off.
    "IDLE_TIMEOUT": None,
    # True: a new login revokes the user's earlier tokens (单点登录). False: one per device.
    "SINGLE_SESSION": True,
    # The word before the token in the Authorization header.
    "AUTH_HEADER_KEYWORD": "Bearer",
    # The django-redis cache that holds live sessions, and the prefix of its keys.
    "CACHE_ALIAS": "default",
    "CACHE_KEY_PREFIX": "wxlogin",
    # After a cache failure, each process leaves the cache alone this many seconds (serving
    # from the database meanwhile): one timeout per interval instead of several per request.
    "CACHE_RETRY_AFTER": 5,
    # Each worker process keeps the session entries it read in memory, and Redis tells it
    # (CLIENT TRACKING) the moment any of them changes: a warm request makes no round trip.
    # False: every request reads Redis. Turns itself off on Redis Cluster, sharded clients and
    # other caches.
    "LOCAL_CACHE": True,
    # Its bound per process: entries (a session is three, its user's two shared by the user's
    # sessions) and bytes (keys, values and bookkeeping); least recently used go first.
    "LOCAL_CACHE_MAX_ENTRIES": 50_000,
    "LOCAL_CACHE_MAX_BYTES": 16 * 1024 * 1024,
    # Seconds within which Redis must have answered a ping on the tracking connection for a
    # worker to serve from memory; keep it below Sentinel's down-after-milliseconds.
    "LOCAL_CACHE_HEARTBEAT": 1.0,
    # Revocations whose process could not reach Redis are recorded in the database; each
    # process that can reach it applies them, checking at most once per this many seconds:
    # the longest such a revoked token may still be accepted.
    "REVOCATION_SYNC_INTERVAL": 2,
    # The database whose answer decides whether a session is live and which sessions a
    # revocation hits, and that users read their own identity, sessions and profile from: the
    # primary. None: the database router's write database (router.db_for_write).
    "PRIMARY_DATABASE": None,
    # A session's "last seen" is written at most once per this many seconds.
    "LAST_SEEN_INTERVAL": 60,
    # Dotted path of the callable that makes the Django user for a first login.
    "CREATE_USER": "django_wxlogin.users.create_user",
    # Accounts with a password next to WeChat identities: True turns on POST login/password/,
    # bind/ and unbind/ (credentials go through Django's authenticate(): any auth backend).
    "PASSWORD_LOGIN": False,
    # True: only existing accounts may use the mini program. A first WeChat login creates no
    # user; it answers 403 account_required with a bind ticket, redeemed at bind/ together
    # with an account's credentials. (Needs PASSWORD_LOGIN.)
    "REQUIRE_ACCOUNT": False,
    # How long a bind ticket can be redeemed (seconds or timedelta); each works once.
    "BIND_TICKET_TTL": 600,
    # A password change (set_password + save, the admin, changepassword) revokes every session
    # of the account: whoever held a session with the old password is out.
    "PASSWORD_CHANGE_REVOKES": True,
    # Per-client rate of POST login/ (DRF rate syntax, e.g. "10/min"; None: no limit). A login
    # code cannot be guessed, so this only guards WeChat quota: generous, for the hundreds of
    # people a campus or mobile carrier puts behind one NAT address.
    "LOGIN_RATE": "600/min",
    # Per-client rate of password attempts (POST login/password/ and bind/).
    "PASSWORD_RATE": "30/min",
    # Wrong passwords per account (by username) before it is locked for that period, doubled
    # for each further lockout within a day; None: no per-account limit.
    "ACCOUNT_RATE": "5/min",
    # IPv6 clients are counted per network of this many bits (a /64 is one subscriber's).
    "THROTTLE_IPV6_PREFIX": 64,
    # The same for POST phone/ (each call costs a WeChat call and an access token).
    "PHONE_RATE": "10/min",
    # Profile limits.
    "NICKNAME_MAX_LENGTH": 64,
    "AVATAR_MAX_BYTES": 2 * 1024 * 1024,
    "AVATAR_UPLOAD_TO": "wxlogin/avatars/",
    # Avatars are decoded (at most this many pixels, counted after a JPEG's reduced-size
    # decode) and written anew, without any metadata.
    "AVATAR_MAX_PIXELS": 2048 * 2048,
    # Avatar uploads per user (DRF rate syntax; None: no limit).
    "AVATAR_RATE": "10/h",
    # Where access tokens come from: "stable" (POST /cgi-bin/stable_token, which never kicks
    # out a token another server holds) or "classic" (GET /cgi-bin/token, which does).
    "ACCESS_TOKEN_ENDPOINT": "stable",
    # Seconds before WeChat's expiry at which a cached access token is no longer used.
    "ACCESS_TOKEN_MARGIN": 300,
    # --- Server-API security (服务端API安全鉴权), off by default -------------------------------
    # The single app's keys from the console's API security page (开发管理 -> 开发设置 -> API安全),
    # or None: {"SYMMETRIC_KEY", "SYMMETRIC_SN", "PRIVATE_KEY", "CERTIFICATES": {serial: PEM}},
    # optional "PUBLIC_KEY" and "PATHS"; each key or certificate may be "env:NAME" or
    # "file:/path". With APPS, each app carries its own "API_SECURITY" instead.
    "API_SECURITY": None,
    # Seconds an answer's timestamp may be older than its request, or ahead of this clock.
    "API_SECURITY_MAX_SKEW": 60,
    # --- Message push and account deletion (django_wxlogin.push, django_wxlogin.deletion) ---
    # Message push (消息推送) per app: TOKEN, ENCODING_AES_KEY and PUSH_FORMAT ("json" or "xml")
    # go in the app's WXLOGIN["APPS"] entry (or next to APPID/SECRET for a single app).
    "TOKEN": "",
    "ENCODING_AES_KEY": "",
    "PUSH_FORMAT": "json",
    # How far a push's timestamp may be from our clock (seconds) before it is refused as a
    # replay; each nonce is accepted once within twice this window.
    "PUSH_MAX_AGE": 300,
    # How long a handled push's id is remembered, so WeChat's retries of it are handled once.
    "PUSH_DEDUP_TTL": 24 * 3600,
    # Time (seconds or timedelta) between POST account/delete/ and the erasure (注销冷静期):
    # a login meanwhile cancels the closure. 14 days, with the daily wxlogin_erase cron, ends
    # within 15 working days. 0 erases at once.
    "CLOSURE_GRACE_PERIOD": timedelta(days=14),
    # What erasure does to the Django user: "anonymise" (deactivated, personal fields blanked,
    # its rows kept) or "delete" (deleted, with whatever cascades from it).
    "ERASE_USER": "anonymise",

    # --- Content checks: nicknames and avatars are checked before anyone else sees them ---
    # Who checks them: None (nobody: published at once), "wechat" (msgSecCheck v2 for text,
    # mediaCheckAsync v2 for images, whose verdict arrives on the message-push receiver), or
    # the dotted path of a django_wxlogin.moderation.checkers.ContentChecker subclass.
    "CONTENT_CHECKS": None,
    # What a "review" verdict, or a check that could not run (WeChat down, the openid not
    # active in the last 2 hours), does: "hold" (keep what is shown, hold the new content
    # pending for an operator) or "accept" (publish it).
    "CONTENT_CHECK_UNSURE": "hold",
    # How long an avatar waits for its verdict (seconds or timedelta); the signed URL WeChat
    # fetches it from expires with it. WeChat promises its verdict within 30 minutes.
    "AVATAR_REVIEW_TIMEOUT": timedelta(hours=1),
    # What an avatar still pending after that does: "drop" (delete it) or "publish".
    "AVATAR_REVIEW_EXPIRED": "drop",
    # Profile changes per user that cost a text or URL check (DRF rate syntax; None: no limit).
    # WeChat allows 4,000 msgSecCheck and 2,000 mediaCheckAsync calls a minute per mini program.
    "CONTENT_CHECK_RATE": "30/h",
    # --- Web and app login: Official Account pages, website QR login, mobile apps ---
    # Where WeChat's open platform pages live (connect/oauth2/authorize, connect/qrconnect);
    # point it at the fake WeChat for offline work, like API_BASE_URL.
    "OPEN_BASE_URL": "https://open.weixin.qq.com",
    # The cookie that carries a browser's session: HttpOnly, SameSite=Lax, Secure on HTTPS.
    "WEB_COOKIE_NAME": "wxlogin_session",
    # The cookie's domain (None: this host only) and path.
    "WEB_COOKIE_DOMAIN": None,
    "WEB_COOKIE_PATH": "/",
    # Hosts besides the request's own that web login's ?next= may send the browser back to.
    "WEB_REDIRECT_HOSTS": [],
    # Where web login sends the browser when ?next= is absent or refused.
    "WEB_LOGIN_REDIRECT": "/",
    # How long a web login started in a browser can be completed (seconds or timedelta).
    "WEB_STATE_TTL": 600,
    # How long a one-time exchange code can be redeemed at web/exchange/ (at most 60 seconds).
    "EXCHANGE_CODE_TTL": 60,
    # --- Scan to log in (a website shows a mini-program code; the person confirms in the
    # mini program; that browser is logged in). ---
    # Per-client-network rate of POST web/scan/ (each ticket costs a WeChat call; None: no limit).
    "SCAN_RATE": "20/min",
    # Seconds a ticket lives (seconds or timedelta): the code must be scanned and confirmed
    # within it.
    "SCAN_TTL": 120,
    # The mini program's confirm page the code opens (no leading "/", no query), and whether
    # WeChat checks that it exists in the released version.
    "SCAN_PAGE": "pages/scan/confirm",
    "SCAN_CHECK_PATH": True,
    # The version of the mini program the code opens: "release", "trial" or "develop" (the last
    # two are refused with DEBUG off, wxlogin.E081).
    "SCAN_ENV_VERSION": "release",
    # The code's width in pixels (WeChat accepts 280 to 1280).
    "SCAN_CODE_WIDTH": 430,
    # The site's name shown on the confirm page; "" shows the host the browser asked.
    "SCAN_SITE_NAME": "",
    # True lets codes opened from an image in a chat or the album (launch scenes 1048, 1049:
    # a forwarded screenshot, the mark of cross-device phishing) be confirmed.
    "SCAN_ALLOW_FORWARDED": False,
    # How the confirmed browser gets its session: "cookie" (the web session cookie) or
    # "exchange_code" (a one-time code for POST web/exchange/).
    "SCAN_DELIVERY": "cookie",
    # The HttpOnly cookie that binds a ticket to the browser that asked for it.
    "SCAN_COOKIE_NAME": "wxlogin_scan",
    # Seconds between two status polls of the browser widget when it cannot use events.
    "SCAN_POLL_INTERVAL": 2,
    # Seconds between two keep-alive comments on an idle event stream (proxies close silent ones).
    "SCAN_EVENTS_KEEPALIVE": 15,
    # --- Bounds on what one avatar decode may cost -----------------------------------------
    # Avatars are stored at most this many pixels a side; a JPEG is decoded straight at the
    # smallest scale (1/2, 1/4, 1/8) that still covers it.
    "AVATAR_MAX_SIDE": 1024,
    # Avatar decodes at once per process; more wait (10 s at most, then 503).
    "AVATAR_CONCURRENT_DECODES": 2,
}

APP_KEYS = ("APPID", "SECRET", "NAME", "KIND", "SCOPE", "API_SECURITY", "TOKEN",
            "ENCODING_AES_KEY", "PUSH_FORMAT")
# What an entry of APPS is: its KIND decides how its codes are exchanged and where it logs in.
MINIPROGRAM, OFFICIAL_ACCOUNT, WEBSITE, MOBILE_APP = (
    "miniprogram", "official_account", "website", "mobile_app")
KINDS = (MINIPROGRAM, OFFICIAL_ACCOUNT, WEBSITE, MOBILE_APP)
WEB_KINDS = (OFFICIAL_ACCOUNT, WEBSITE)  # log in through a browser: web/<app>/login/
# The scopes an Official Account may ask (SCOPE; the default asks for the profile).
OFFICIAL_ACCOUNT_SCOPES = ("snsapi_base", "snsapi_userinfo")


@dataclass(frozen=True)
class WxApp:
    """One configured app. ``name`` is its slug in URLs ("" when it has none); ``kind`` one
    of ``KINDS``; ``scope`` what an Official Account asks first ("" for its default)."""

    appid: str
    secret: str = field(repr=False)
    name: str = ""
    kind: str = MINIPROGRAM
    scope: str = ""
    # Message push (django_wxlogin.push): the console's Token and EncodingAESKey ("" without safe
    # mode), and the body format.
    token: str = field(default="", repr=False)
    encoding_aes_key: str = field(default="", repr=False)
    push_format: str = "json"
    # The app's API_SECURITY setting (None: off); read by wechat/api_security/keys.py.
    api_security: Any = field(default=None, repr=False, compare=False)

    def matches(self, ref: str) -> bool:
        return ref == self.appid or (bool(self.name) and ref == self.name)


def _seconds(value: int | float | timedelta | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value)


class WxLoginSettings:
    """Reads ``settings.WXLOGIN`` live; unknown names raise ``AttributeError``."""

    @property
    def user_settings(self) -> dict[str, Any]:
        return getattr(django_settings, "WXLOGIN", None) or {}

    def get(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid WXLOGIN setting: {name!r}")
        return self.user_settings.get(name, DEFAULTS[name])

    def __getattr__(self, name: str) -> Any:
        if name.isupper():
            return self.get(name)
        raise AttributeError(name)

    @property
    def token_ttl_seconds(self) -> int:
        return _seconds(self.get("TOKEN_TTL")) or 0

    @property
    def idle_timeout_seconds(self) -> int | None:
        return _seconds(self.get("IDLE_TIMEOUT"))

    @property
    def bind_ticket_ttl_seconds(self) -> int:
        return _seconds(self.get("BIND_TICKET_TTL")) or 0

    @property
    def avatar_review_timeout_seconds(self) -> int:
        return _seconds(self.get("AVATAR_REVIEW_TIMEOUT")) or 0

    @property
    def scan_ttl_seconds(self) -> int:
        return _seconds(self.get("SCAN_TTL")) or 0

    @property
    def api_base_url(self) -> str:
        return str(self.get("API_BASE_URL")).rstrip("/")

    @property
    def apps(self) -> list[WxApp]:
        """Every configured mini program: ``APPS``, or the single ``APPID``/``SECRET``."""
        configured = self.get("APPS")
        if not configured:
            return [WxApp(str(self.get("APPID")), str(self.get("SECRET")),
                          api_security=self.get("API_SECURITY"), **self._push(None))]
        return [WxApp(str(a.get("APPID", "")), str(a.get("SECRET", "")), str(a.get("NAME", "")),
                      str(a.get("KIND") or MINIPROGRAM), str(a.get("SCOPE") or ""),
                      api_security=a.get("API_SECURITY"), **self._push(a))
                for a in configured]

    def _push(self, entry: dict[str, Any] | None) -> dict[str, str]:
        """An app's message-push settings, from its ``APPS`` entry or the top level."""
        def read(name: str) -> str:
            return str(entry.get(name, DEFAULTS[name]) if entry is not None else self.get(name))
        return {"token": read("TOKEN"), "encoding_aes_key": read("ENCODING_AES_KEY"),
                "push_format": read("PUSH_FORMAT")}

    def kind_of(self, appid: str) -> str:
        """The kind of the app ``appid`` (a mini program's when it is not configured)."""
        return next((app.kind for app in self.apps if app.appid == appid), MINIPROGRAM)

    @property
    def open_base_url(self) -> str:
        return str(self.get("OPEN_BASE_URL")).rstrip("/")

    def app(self, ref: str | None = None) -> WxApp:
        """The app named by ``ref`` (its NAME or APPID); with one app, ``None`` names it."""
        apps = self.apps
        if ref is None:
            if len(apps) == 1:
                return apps[0]
            raise UnknownApp(
                _("Several mini programs are configured: name one, as login/<app>/ or with "
                  "\"app\" in the body."))
        for app in apps:
            if app.matches(ref):
                return app
        raise UnknownApp()


wxlogin_settings = WxLoginSettings()
