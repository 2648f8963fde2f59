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
    # --- Bounds on what one avatar decode may cost -----------------------------------------
    # Avatars are stored at most this many pixels a side; a JPEG is decoded straight at the
    # smallest scale (1/2, 1/4, 1/8) that still covers it.
    "AVATAR_MAX_SIDE": 1024,
    # Avatar decodes at once per process; more wait (10 s at most, then 503).
    "AVATAR_CONCURRENT_DECODES": 2,
}

APP_KEYS = ("APPID", "SECRET", "NAME")


@dataclass(frozen=True)
class WxApp:
    """One configured mini program. ``name`` is its slug in URLs ("" when it has none)."""

    appid: str
    secret: str = field(repr=False)
    name: str = ""

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
    def api_base_url(self) -> str:
        return str(self.get("API_BASE_URL")).rstrip("/")

    @property
    def apps(self) -> list[WxApp]:
        """Every configured mini program: ``APPS``, or the single ``APPID``/``SECRET``."""
        configured = self.get("APPS")
        if not configured:
            return [WxApp(str(self.get("APPID")), str(self.get("SECRET")))]
        return [WxApp(str(a.get("APPID", "")), str(a.get("SECRET", "")), str(a.get("NAME", "")))
                for a in configured]

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
