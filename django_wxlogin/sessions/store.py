"""Issuing and authenticating sessions: the database is the truth, the cache the hot path.

A warm request reads a session's three cache entries (the user's generation ``n``, the user
``u`` and the session ``s``; their bytes: :mod:`.codec`) in one round trip (:mod:`.entries`)
and trusts them only when their nonces agree and ``n`` was written under the Redis run_id this
process sees now. Revoking a session, or saving or deleting its user, replaces ``n`` with a
tombstone after the database commits (:mod:`.revocation`; a login replaces it with a new
generation in the write that stores the new session, a compare-and-set against the generation
read before its commit, so a revocation landing in between wins), which voids every entry of
that user at once. A cache miss writes nothing until the database has found a live session
(a made-up token costs one query and no write), then refills in one compare-and-set that
fails if ``n`` changed since it was read before the database was asked: a revocation that lands
during a refill always wins. A stale entry that outlives a failed delete or comes back with an older
Redis snapshot is therefore never trusted again; one whose delete could not reach Redis is
voided by the other processes within ``REVOCATION_SYNC_INTERVAL`` (:mod:`.outbox`). Any cache
failure falls back to the database.

``request.user.password`` is a deferred field: the password hash never leaves the database.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.db import InterfaceError, OperationalError, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed

from ..cache import check as check_cache
from ..client_ip import client_ip
from ..databases import primary
from ..exceptions import AccountDisabled, InvalidToken, SessionExpired
from ..models import LoginMethod, WxSession
from ..settings import DEFAULTS, wxlogin_settings
from .codec import (
    NONCE_LENGTH,
    loaded_instance,
    new_nonce,
    pack_session,
    pack_user,
    to_timestamp,
    unpack_session,
    unpack_user,
)
from .entries import Entries, cache_failed, entries_for, entry_name, read_entries
from .outbox import deliver, drain_if_due
from .revocation import revoke_replaced_sessions
from .tokens import digest_key, make_token, token_digest, token_digest_and_key, user_reference

logger = logging.getLogger("django_wxlogin.store")

USER_AGENT_MAX = 256


class UserInactive(AuthenticationFailed):
    default_code = "user_inactive"
    default_detail = _("This account is disabled.")


def _seconds_left(row: WxSession) -> int:
    return max(1, int((row.expires_at - timezone.now()).total_seconds()))


def _check_lifetime(expires: int, last_seen: int, now: float, conf: dict[str, Any]) -> None:
    """``SessionExpired`` past the expiry, or idle for ``IDLE_TIMEOUT``."""
    if now >= expires:
        raise SessionExpired()
    if conf.get("IDLE_TIMEOUT") is not None:
        idle = wxlogin_settings.idle_timeout_seconds
        if idle and last_seen and now - last_seen >= idle:
            raise SessionExpired()


def _entries_agree(entry: bytes | None, gen: bytes | None, cached_user: bytes | None,
                   run_id: str) -> bool:
    """Whether all three entries exist under one generation written under this Redis run."""
    if not (entry and gen and cached_user):
        return False
    return entry[:NONCE_LENGTH] == gen[:NONCE_LENGTH] == cached_user[:NONCE_LENGTH] and \
        gen[NONCE_LENGTH:] == run_id.encode()


def _record_last_seen(entries: Entries | None, name: str, nonce: str | None,
                      session: WxSession, now: float) -> None:
    """Record "last seen"; callers do it at most once per ``LAST_SEEN_INTERVAL`` (no write per
    request)."""
    moment = datetime.fromtimestamp(now, tz=dt_timezone.utc)
    try:
        WxSession.objects.filter(pk=session.pk).update(last_seen_at=moment)
    except (OperationalError, InterfaceError) as exc:  # a database outage: serve from cache
        logger.warning("Could not record last seen (%s)", type(exc).__name__)
        return
    session.last_seen_at = moment
    if entries is not None and nonce is not None:
        try:
            entries.set_many({name: pack_session(nonce, session)}, _seconds_left(session))
        except Exception as exc:
            cache_failed(exc)


def authenticate(token: str, conf: dict[str, Any] | None = None) -> tuple[Any, WxSession]:
    """The (user, session) a token belongs to, or an ``AuthenticationFailed`` subclass.

    ``conf`` is the ``WXLOGIN`` dict when the caller has just read it (one read per request).
    """
    user_ref = user_reference(token)
    if user_ref is None:
        raise InvalidToken()
    if conf is None:
        conf = wxlogin_settings.user_settings
    drain_if_due()
    digest, key = token_digest_and_key(token)
    tagged = f"{conf.get('CACHE_KEY_PREFIX', DEFAULTS['CACHE_KEY_PREFIX'])}:{{{user_ref}}}:"
    sname = f"{tagged}s:{key}"  # entry_name's names, spelled out on the hot path
    entries = entries_for(conf)
    found, run_id = read_entries(entries, [sname, f"{tagged}n", f"{tagged}u"], conf)
    if found is None:
        return _authenticate_from_database(digest, user_ref, None, None, "", conf)
    entry, gen, cached_user = found
    if entry and gen and cached_user and _entries_agree(entry, gen, cached_user, run_id):
        fields, expires, last_seen = unpack_session(entry)
        now = time.time()
        _check_lifetime(expires, last_seen, now, conf)
        db = router.db_for_read(WxSession)
        user = unpack_user(user_ref, cached_user[NONCE_LENGTH:], db)
        if user is not None and not user.is_active:
            raise UserInactive()
        if user is not None:
            session = loaded_instance(WxSession, fields, db)
            session.__dict__.update(user_id=user.pk, digest=digest)
            session._state.fields_cache = {"user": user}
            if now - last_seen >= conf.get("LAST_SEEN_INTERVAL", DEFAULTS["LAST_SEEN_INTERVAL"]):
                _record_last_seen(entries, sname, gen[:NONCE_LENGTH].decode(), session, now)
            return user, session
    return _authenticate_from_database(digest, user_ref, entries, gen, run_id, conf)


def _refill(entries: Entries, user_ref: str, gen: bytes | None, run_id: str, row: WxSession,
            sname: str, conf: dict[str, Any]) -> str | None:
    """Cache a session the database has just found live, under the user's generation as it
    was read before the database was asked (``gen``); the nonce, or None when a revocation
    changed the generation meanwhile (or the cache failed): then nothing is written."""
    current = bool(gen) and gen[NONCE_LENGTH:] == run_id.encode()  # type: ignore[index]
    nonce = gen[:NONCE_LENGTH].decode() if current else new_nonce()  # type: ignore[index]
    try:
        new = None if current else f"{nonce}{run_id}".encode()
        written = entries.refill(
            entry_name("n", user_ref, conf=conf), gen, new,
            {sname: pack_session(nonce, row),
             entry_name("u", user_ref, conf=conf): nonce.encode() + pack_user(row.user)},
            _seconds_left(row), wxlogin_settings.token_ttl_seconds)
    except Exception as exc:
        cache_failed(exc)
        return None
    return nonce if written else None


def _authenticate_from_database(digest: str, user_ref: str, entries: Entries | None,
                                gen: bytes | None, run_id: str,
                                conf: dict[str, Any]) -> tuple[Any, WxSession]:
    """``authenticate`` on a cache miss: the database decides, then the entries are refilled
    (see the module's docstring). The primary decides: a replica may not have the session
    yet, or its revocation."""
    row = (WxSession.objects.using(primary(WxSession)).select_related("user")
           .filter(digest=digest).first())
    if row is None or str(row.user_id) != user_ref:
        raise InvalidToken()
    if row.revoked_at is not None:
        raise SessionExpired()
    now, last_seen = time.time(), to_timestamp(row.last_seen_at)
    _check_lifetime(to_timestamp(row.expires_at), last_seen, now, conf)
    if not row.user.is_active:
        raise UserInactive()
    sname = entry_name("s", user_ref, digest_key(digest), conf)
    nonce = None if entries is None else _refill(entries, user_ref, gen, run_id, row, sname, conf)
    if now - last_seen >= conf.get("LAST_SEEN_INTERVAL", DEFAULTS["LAST_SEEN_INTERVAL"]):
        _record_last_seen(entries, sname, nonce, row, now)
    return row.user, row


def _client_details(request: Any) -> tuple[str, str | None]:
    if request is None:
        return "", None
    return request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX], client_ip(request)


def issue(user: Any, *, request: Any = None, appid: str = "",
          method: str = LoginMethod.WECHAT, surface: str | None = None) -> tuple[str, WxSession]:
    """Create a session for ``user``, opened by ``method`` (a ``LoginMethod``) and used on
    ``surface`` (by default the kind of ``appid``); the raw token is returned here and nowhere
    else.

    Call it inside ``transaction.atomic()`` with the user's row locked (``select_for_update``),
    so that concurrent logins under ``SINGLE_SESSION`` leave exactly one live session. Every
    way in comes here, so an inactive user is refused here (``403 user_inactive``): the
    transaction rolls back, and nothing is created or cached.
    """
    if not user.is_active:
        raise AccountDisabled()
    # The user's generation as it is before this login commits: see _cache_login.
    before, _ = read_entries(entries_for(), [entry_name("n", user.pk)])
    surface = surface or wxlogin_settings.kind_of(appid)
    replaced: list[str] = []
    if wxlogin_settings.SINGLE_SESSION:
        replaced = revoke_replaced_sessions(user.pk, appid, surface)
    now = timezone.now()
    token = make_token(user.pk)
    agent, ip = _client_details(request)
    row = WxSession.objects.create(
        user=user, digest=token_digest(token), appid=appid, method=method, created_at=now,
        surface=surface,
        expires_at=now + timedelta(seconds=wxlogin_settings.token_ttl_seconds),
        last_seen_at=now, user_agent=agent, ip_address=ip,
    )
    transaction.on_commit(lambda: _cache_login(row, replaced, before))
    return token, row


def _cache_login(row: WxSession, replaced: list[str], before: list[bytes | None] | None
                 ) -> None:
    """One compare-and-set: a new generation for the user, the user and the session, and the
    deletion of the sessions this login revoked (by digest), written only if the generation is
    still what it was before the login committed (``before``, None when it could not be read).
    A revocation of the new session by another process lands between the commit and this
    write as a new tombstone: the write then fails, and the generation is voided again, so the
    next request asks the database instead of trusting a revoked session."""
    entries = entries_for()
    doomed = [entry_name("s", row.user_id, digest_key(d)) for d in replaced]
    generation = entry_name("n", row.user_id)
    written = False
    if before is not None:
        try:
            check_cache()
            nonce = new_nonce()
            new = f"{nonce}{entries.run_id(generation)}".encode()
            ttl = wxlogin_settings.token_ttl_seconds
            written = entries.refill(generation, before[0], new, {
                entry_name("u", row.user_id): nonce.encode() + pack_user(row.user),
                entry_name("s", row.user_id, digest_key(row.digest)): pack_session(nonce, row),
            }, ttl, ttl, delete=doomed)
        except Exception as exc:
            cache_failed(exc)
    if not written:
        deliver([generation, *doomed])
