"""Scan tickets: one login a browser asked for and a person confirms in the mini program.

A ticket lives in Redis as one hash under the digest of its ``scene`` (the 32 random
characters inside the code), for ``SCAN_TTL`` seconds and a minute more so that late readers
learn it expired rather than that it never was. It names the browser that asked (IP address,
user agent, host), the mini program, and the digest of a second secret, the poll secret, which
only that browser holds in an HttpOnly cookie: the scene, which anyone who sees the code can
read, never tells the state or yields the session.

States: ``issued`` -> ``scanned`` (by one mini-program user) -> ``confirmed`` (by the same) or
``cancelled``; ``expired`` once its time is up; ``delivered`` once the browser took its session.
Every transition is one Lua script, so of two phones, two tabs, or a confirm racing the expiry
exactly one wins, and a confirmed ticket is delivered once. Each transition is published on one
channel for every ticket (``events.py`` listens to it once per process).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

from ..cache import cache, key, warn_unavailable
from ..client_ip import client_ip
from ..exceptions import ServiceUnavailable
from ..settings import WxApp, wxlogin_settings
from ..wechat.wxacode import SCENE_MAX_LENGTH, CodeRequest, unlimited_code

logger = logging.getLogger("django_wxlogin.scan")

SCENE_ALPHABET = string.ascii_letters + string.digits  # within WeChat's scene charset
POLL_SECRET_BYTES = 32
LINGER = 60  # seconds a ticket's hash outlives its expiry, to answer "expired", not "unknown"
USER_AGENT_MAX = 256
WAITING = ("issued", "scanned")
FINAL = ("confirmed", "cancelled", "expired", "delivered", "unknown")

# KEYS[1] the ticket; ARGV: op, user, appid, channel, ref, poll digest.
# Answers {outcome} where outcome is "ok" or the state that refuses the op.
_TRANSITION = """
local t = redis.call('HMGET', KEYS[1], 's', 'e', 'u', 'a', 'p')
if not t[1] then return {'unknown'} end
local op, user = ARGV[1], ARGV[2]
if op == 'claim' then
  if t[5] ~= ARGV[6] then return {'unknown'} end
elseif t[4] ~= ARGV[3] then
  return {'wrong_app'}
end
local clock = redis.call('TIME')
local state = t[1]
if (state == 'issued' or state == 'scanned' or state == 'confirmed')
    and tonumber(clock[1]) + tonumber(clock[2]) / 1000000 >= tonumber(t[2]) then
  return {'expired'}
end
local mine = state == 'scanned' and t[3] == user
local function move(to)
  redis.call('HSET', KEYS[1], 's', to)
  redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. to)
  return {'ok', t[3] or ''}
end
if op == 'scan' then
  if state == 'issued' then
    redis.call('HSET', KEYS[1], 'u', user)
    return move('scanned')
  end
  if mine then return {'ok', user} end
  if state == 'scanned' then return {'taken'} end
elseif op == 'confirm' then
  if mine then return move('confirmed') end
  if state == 'issued' then return {'not_scanned'} end
  if state == 'scanned' then return {'taken'} end
elseif op == 'cancel' then
  if state == 'issued' or mine then return move('cancelled') end
  if state == 'scanned' then return {'taken'} end
elseif op == 'claim' then
  if state == 'confirmed' then
    redis.call('HSET', KEYS[1], 's', 'delivered')
    return {'ok', t[3], t[4]}
  end
end
return {state}
"""


class ScanError(exceptions.APIException):
    """A ticket that cannot do what was asked."""


class UnknownTicket(ScanError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "scan_unknown"
    default_detail = _("No such login code: it is unknown or long expired.")


class ExpiredTicket(ScanError):
    status_code = status.HTTP_410_GONE
    default_code = "scan_expired"
    default_detail = _("This login code has expired; refresh the page on the computer.")


class CancelledTicket(ScanError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "scan_cancelled"
    default_detail = _("This login was cancelled.")


class UsedTicket(ScanError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "scan_used"
    default_detail = _("This login code was already confirmed.")


class TakenTicket(ScanError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "scan_taken"
    default_detail = _("Someone else scanned this login code first.")


class NotScanned(ScanError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "scan_not_scanned"
    default_detail = _("Open the login request (GET scan/<scene>/) before confirming it.")


class Pending(ScanError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "scan_pending"
    default_detail = _("Not confirmed yet: wait until the person confirms on their phone.")


class WrongApp(ScanError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "scan_wrong_app"
    default_detail = _("This login code belongs to another mini program.")


class ForwardedCode(ScanError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "scan_forwarded"
    default_detail = _("For your safety, scan the code with WeChat's camera on the screen it is "
                       "shown on: a code opened from a picture in a chat or the album could "
                       "log someone else in.")


REFUSALS: dict[str, type[ScanError]] = {
    "unknown": UnknownTicket, "expired": ExpiredTicket, "cancelled": CancelledTicket,
    "confirmed": UsedTicket, "delivered": UsedTicket, "taken": TakenTicket,
    "not_scanned": NotScanned, "wrong_app": WrongApp, "issued": Pending, "scanned": Pending,
}


def channel(db: int) -> str:
    """The one pub/sub channel of every ticket's transitions: ``<ref> <state>`` messages.
    Channels are not per database: the cache's database number keeps sites apart."""
    return key("scan", "events", db)


def db_of(redis: Any) -> int:
    return int(redis.connection_pool.connection_kwargs.get("db") or 0)


def ref_of(scene: str) -> str:
    """The ticket's name in Redis and in events: a digest of its scene."""
    return hashlib.sha256(scene.encode()).hexdigest()[:40]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _ticket_key(ref: str) -> str:
    return key("scan", ref)


def redis_client() -> Any:
    """The raw redis-py client of the shared cache (``django-redis``)."""
    try:
        return cache().client.get_client(write=True)  # type: ignore[attr-defined]
    except Exception as exc:
        warn_unavailable(logger, "Scan ticket cache", exc)
        raise ServiceUnavailable() from None


@dataclass(frozen=True)
class NewTicket:
    scene: str
    cookie: str  # "<scene>.<poll secret>", for the asking browser's HttpOnly cookie only
    image: bytes
    expires_in: int


def issue(request: Any, app: WxApp) -> NewTicket:
    """A new ticket for the browser of ``request``: its code drawn by WeChat first, so that a
    refused call stores nothing."""
    scene = "".join(secrets.choice(SCENE_ALPHABET) for _ in range(SCENE_MAX_LENGTH))
    image = unlimited_code(app, CodeRequest(
        scene=scene, page=wxlogin_settings.SCAN_PAGE,
        check_path=bool(wxlogin_settings.SCAN_CHECK_PATH),
        env_version=wxlogin_settings.SCAN_ENV_VERSION,
        width=int(wxlogin_settings.SCAN_CODE_WIDTH)))
    poll_secret = secrets.token_urlsafe(POLL_SECRET_BYTES)
    ttl = wxlogin_settings.scan_ttl_seconds
    now = time.time()
    fields = {
        "s": "issued", "a": app.appid, "p": _digest(poll_secret), "t": f"{now:.3f}",
        "e": f"{now + ttl:.3f}", "ip": client_ip(request) or "",
        "ua": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
        "site": wxlogin_settings.SCAN_SITE_NAME or request.get_host(),
    }
    name = _ticket_key(ref_of(scene))
    try:
        with redis_client().pipeline(transaction=True) as pipe:
            pipe.hset(name, mapping=fields)
            pipe.expire(name, ttl + LINGER)
            pipe.execute()
    except ServiceUnavailable:
        raise
    except Exception as exc:
        warn_unavailable(logger, "Scan ticket cache", exc)
        raise ServiceUnavailable() from None
    return NewTicket(scene, f"{scene}.{poll_secret}", image, ttl)


def _run(op: str, ref: str, *, user: str = "", appid: str = "", poll: str = "") -> list[str]:
    redis = redis_client()
    try:
        answer = redis.eval(_TRANSITION, 1, _ticket_key(ref), op, user, appid,
                            channel(db_of(redis)), ref, poll)
    except Exception as exc:
        warn_unavailable(logger, "Scan ticket cache", exc)
        raise ServiceUnavailable() from None
    outcome = [part.decode() if isinstance(part, bytes) else str(part) for part in answer]
    if outcome[0] != "ok":
        raise REFUSALS.get(outcome[0], UnknownTicket)()
    return outcome


@dataclass(frozen=True)
class Request:
    """What the confirm page shows about the browser that asked."""

    site: str
    ip_address: str
    user_agent: str
    requested_at: float
    expires_in: int


def scan(scene: str, user: str, appid: str) -> Request:
    """Mark the ticket scanned by ``user`` (again by the same user is fine) and describe it."""
    ref = ref_of(scene)
    _run("scan", ref, user=user, appid=appid)
    try:
        site, ip, agent, created, expires = redis_client().hmget(
            _ticket_key(ref), "site", "ip", "ua", "t", "e")
    except Exception as exc:
        warn_unavailable(logger, "Scan ticket cache", exc)
        raise ServiceUnavailable() from None
    if expires is None:
        raise ExpiredTicket()
    return Request(site.decode(), ip.decode(), agent.decode(), float(created),
                   max(0, int(float(expires) - time.time())))


def confirm(scene: str, user: str, appid: str) -> None:
    _run("confirm", ref_of(scene), user=user, appid=appid)


def cancel(scene: str, user: str, appid: str) -> None:
    _run("cancel", ref_of(scene), user=user, appid=appid)


def split_cookie(cookie: str | None) -> tuple[str, str] | None:
    """(ticket ref, poll digest) of a poll cookie; None when it is not one."""
    scene, _, secret = (cookie or "").partition(".")
    if not scene or not secret or len(scene) > SCENE_MAX_LENGTH or len(secret) > 64:
        return None
    return ref_of(scene), _digest(secret)


def state_of(ref: str, poll: str, fields: list[Any]) -> tuple[str, float]:
    """(state, seconds left) from a ticket's ``s``, ``e``, ``p`` fields: ``unknown`` unless the
    poll digest matches (a browser that only knows the scene learns nothing)."""
    state, expires, digest = (f.decode() if isinstance(f, bytes) else f for f in fields)
    if state is None or not hmac.compare_digest(str(digest), poll):
        return "unknown", 0.0
    left = float(expires) - time.time()
    if state in ("issued", "scanned", "confirmed") and left <= 0:
        return "expired", 0.0
    return state, max(0.0, left)


STATUS_FIELDS = ("s", "e", "p")


def status_key(ref: str) -> str:
    return _ticket_key(ref)


def read_state(ref: str, poll: str) -> tuple[str, float]:
    """The ticket's state for the browser holding its cookie: one Redis read, no query."""
    try:
        fields = redis_client().hmget(_ticket_key(ref), *STATUS_FIELDS)
    except ServiceUnavailable:
        raise
    except Exception as exc:
        warn_unavailable(logger, "Scan ticket cache", exc)
        raise ServiceUnavailable() from None
    return state_of(ref, poll, fields)


def claim(ref: str, poll: str) -> tuple[str, str]:
    """(user pk, appid) of a confirmed ticket, once: the first claim makes it ``delivered``."""
    outcome = _run("claim", ref, poll=poll)
    return outcome[1], outcome[2]
