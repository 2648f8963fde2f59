"""Rate limits: per client network on the endpoints that cost a WeChat call or check a password,
and per account and network on password guesses, with a lockout of that network that doubles
each time it is earned (``AccountAttempt``).

Counters are fixed windows counted in the shared cache with one atomic increment each
(``SET NX EX`` then ``INCR``), so a burst of parallel requests can never slip past a limit.
While the cache is down or refuses writes, password limits are counted in this process instead
(a guesser cannot get more through by filling Redis); the others let requests through.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from .cache import cache, key, warn_unavailable
from .client_ip import client_network
from .databases import primary
from .settings import wxlogin_settings

logger = logging.getLogger("django_wxlogin.throttling")

LOCKOUT_MAX = 24 * 3600  # the longest an account's password lockout grows to
LOCAL_MAX_ENTRIES = 100_000  # per-process counters kept while the cache is down


def parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate syntax ``"<count>/<s|min|h|day>"``: (count, seconds)."""
    return SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type,return-value]


class _LocalCounters:
    """Fixed-window counters of this process, for when the shared cache cannot count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}  # name -> (expiry, count)

    def incr(self, name: str, ttl: int) -> int:
        now = time.time()
        with self._lock:
            if len(self._counts) >= LOCAL_MAX_ENTRIES:
                self._counts = {n: v for n, v in self._counts.items() if v[0] > now}
            expiry, count = self._counts.get(name, (0.0, 0))
            if expiry <= now:
                expiry, count = now + ttl, 0
            self._counts[name] = (expiry, count + 1)
            return count + 1

    def get(self, name: str) -> float | None:
        with self._lock:
            found = self._counts.get(name)
        return found[1] if found and found[0] > time.time() else None

    def decr(self, name: str) -> None:
        with self._lock:
            expiry, count = self._counts.get(name, (0.0, 0))
            if count:
                self._counts[name] = (expiry, count - 1)

    def set(self, name: str, value: float, ttl: int) -> None:
        with self._lock:
            self._counts[name] = (time.time() + ttl, int(value))


_local = _LocalCounters()


def _count(counter: str, ttl: int, *, fallback: bool) -> int | None:
    """Add one to ``counter`` (created to live ``ttl`` seconds); the count so far. When the
    cache fails: counted in this process with ``fallback``, else None (not counted)."""
    try:
        store = cache()
        store.add(counter, 0, ttl)
        return int(store.incr(counter))
    except Exception as exc:
        warn_unavailable(logger, "Throttle cache", exc)
        return _local.incr(counter, ttl) if fallback else None


def hit(name: str, period: int, *, fallback: bool) -> int | None:
    """Count one event in the current ``period``-second window of ``name``; the count so far.
    When the cache fails: counted in this process with ``fallback``, else None (not counted)."""
    window = int(time.time() // period)
    # expires well after the window, never inside it
    return _count(key("throttle", name, window), period * 2, fallback=fallback)


def window_left(period: int) -> int:
    """Seconds until the current ``period``-second window ends (at least 1)."""
    return max(1, int(period - time.time() % period))


class WxRateThrottle(BaseThrottle):
    """A limit per client network (see ``client_network``: clients whose address does not parse
    share one bucket) at the rate of the ``WXLOGIN`` setting ``rate_setting``."""

    scope = ""
    rate_setting = ""
    fallback = False  # count in this process while the cache is down (password endpoints)

    def __init__(self) -> None:
        self._wait: int | None = None

    def ident(self, request: Any) -> str | None:
        """Who is counted; None: this request is not."""
        return client_network(request)

    def allow_request(self, request: Any, view: Any) -> bool:
        rate = wxlogin_settings.get(self.rate_setting)
        ident = self.ident(request) if rate is not None else None
        if ident is None:
            return True
        limit, period = parse_rate(rate)
        count = hit(f"{self.scope}:{ident}", period, fallback=self.fallback)
        if count is None or count <= limit:
            return True
        self._wait = window_left(period)
        return False

    def wait(self) -> int | None:
        return self._wait


class LoginRateThrottle(WxRateThrottle):
    """WeChat-code logins: a code cannot be guessed, so this protects WeChat quota, not
    accounts; its default lets a campus behind one NAT address in (see ``LOGIN_RATE``)."""

    scope = "login"
    rate_setting = "LOGIN_RATE"


class PasswordRateThrottle(WxRateThrottle):
    """Password guesses (``login/password/``, ``bind/``), counted apart from WeChat logins."""

    scope = "password"
    rate_setting = "PASSWORD_RATE"
    fallback = True


class PhoneRateThrottle(WxRateThrottle):
    scope = "phone"
    rate_setting = "PHONE_RATE"


class AvatarRateThrottle(WxRateThrottle):
    """Avatar uploads per user (each costs a decode, an encode and storage)."""

    scope = "avatar"
    rate_setting = "AVATAR_RATE"

    def ident(self, request: Any) -> str | None:
        uploading = request.method in ("PATCH", "POST") and "avatar" in request.FILES
        return f"user:{request.user.pk}" if uploading and request.user.is_authenticated else None


class ContentCheckRateThrottle(WxRateThrottle):
    """Profile changes that cost a content check of text or a URL (a nickname, an avatar_url,
    raw_data) per user, while ``CONTENT_CHECKS`` is on: WeChat's quota is the mini program's,
    not the person's. (Avatar files count against ``AVATAR_RATE``.)"""

    scope = "content_check"
    rate_setting = "CONTENT_CHECK_RATE"

    def ident(self, request: Any) -> str | None:
        if not wxlogin_settings.CONTENT_CHECKS or request.method not in ("PATCH", "POST") \
                or not request.user.is_authenticated:
            return None
        try:
            data = request.data
        except Exception:  # the view answers the parse error
            return None
        checked = hasattr(data, "keys") and bool({"nickname", "avatar_url", "raw_data"} & set(data))
        return f"user:{request.user.pk}" if checked else None


class AccountThrottled(Throttled):
    default_code = "account_throttled"
    default_detail = _("Too many wrong passwords for this account; try again later.")


def _account(username: str) -> str:
    """The account a username opens, as the user model's database finds it
    (``get_by_natural_key``: its collation, a ``CITEXT`` column or a custom manager decide which
    spellings are one account): ``user:<pk>``. A username that opens none: a digest of its
    normal form (Unicode NFKC, casefolded), so that usernames are not written to the cache and
    unknown names get the same answers as known ones."""
    model = get_user_model()
    try:
        found = model._default_manager.db_manager(primary(model)).get_by_natural_key(username)
        return f"user:{found.pk}"
    except (model.DoesNotExist, model.MultipleObjectsReturned, ValueError):
        normal = model.normalize_username(username).casefold()
        return "name:" + hashlib.sha256(normal.encode()).hexdigest()[:32]


def _get(name: str) -> float | None:
    try:
        return cache().get(name)
    except Exception as exc:
        warn_unavailable(logger, "Throttle cache", exc)
        return _local.get(name)


def _uncount(counter: str) -> None:
    try:
        cache().decr(counter)
    except Exception as exc:
        warn_unavailable(logger, "Throttle cache", exc)
        _local.decr(counter)

def forget(*, networks: Iterable[str] = (), user_pk: object = None) -> None:
    """Delete the counters kept about one person (an erasure): their client networks', their
    account's (wrong passwords, lockouts: counted by primary key, see ``_account``) and their
    own (avatar uploads). Needs a cache that deletes by pattern (django-redis); the others let
    the counters expire."""
    patterns = [key("throttle", f"*:{network}", "*") for network in networks]
    if user_pk is not None:
        account = f"user:{user_pk}"
        patterns += [key("throttle", f"avatar:user:{user_pk}", "*"),
                     key("throttle", "account", f"{account}:*", "*"),
                     key("lockouts", f"{account}:*"), key("lockout", f"{account}:*")]
    try:
        store: Any = cache()
        if hasattr(store, "delete_pattern"):
            for pattern in patterns:
                store.delete_pattern(pattern)
    except Exception as exc:
        warn_unavailable(logger, "Throttle cache", exc)


class AccountAttempt:
    """One password attempt on an account from one client network, reserved before the
    password is checked.

    ``ACCOUNT_RATE`` counts the attempts per account (see ``_account``) and client network
    (``client_network``; addresses that do not parse share one bucket): each attempt takes a
    slot with one atomic increment before the (slow) password hash, so parallel guesses cannot
    pass the limit; a right password gives its slot back. The attempt that fills the window
    with wrong passwords locks that account for that network for the period, doubled for each
    lockout earned there within ``LOCKOUT_MAX`` (at most ``LOCKOUT_MAX``). A stranger's guesses
    lock out their own network only: the owner, elsewhere, still gets in.
    """

    def __init__(self, request: Any, username: str) -> None:
        self.rate = wxlogin_settings.ACCOUNT_RATE
        if self.rate is None:
            return
        self.limit, self.period = parse_rate(self.rate)
        self.scope = f"{_account(username)}:{client_network(request)}"
        self.lockout = key("lockout", self.scope)
        until = _get(self.lockout)
        if until is not None and until > time.time():
            raise AccountThrottled(wait=max(1, int(until - time.time())))
        window = int(time.time() // self.period)
        self.counter = key("throttle", "account", self.scope, window)
        self.count = _count(self.counter, self.period * 2, fallback=True) or 0
        if self.count > self.limit:
            raise AccountThrottled(wait=window_left(self.period))

    def succeeded(self) -> None:
        """The password was right: its slot is given back."""
        if self.rate is not None:
            _uncount(self.counter)

    def failed(self) -> None:
        """A wrong password: it keeps its slot; the one that fills the window locks."""
        if self.rate is None or self.count < self.limit:
            return
        strikes = _count(key("lockouts", self.scope), LOCKOUT_MAX, fallback=True) or 1
        duration = min(self.period * 2 ** min(strikes - 1, 20), LOCKOUT_MAX)
        until = time.time() + duration
        try:
            cache().set(self.lockout, until, duration)
        except Exception as exc:
            warn_unavailable(logger, "Throttle cache", exc)
            _local.set(self.lockout, until, duration)
