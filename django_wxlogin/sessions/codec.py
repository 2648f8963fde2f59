"""The byte layout of the session cache's entries.

For a user ``U`` and a token digest ``D`` each value starts with a 12-byte nonce::

    <prefix>:{U}:n     nonce, redis run_id                     the user's cache generation
    <prefix>:{U}:u     nonce, the user's fields (pickled)      the Django user as last loaded
    <prefix>:{U}:s:D   nonce, id, created, expires, last_seen (packed), appid

Values are compact bytes (``D`` is 144 bits of the digest in base64url: the key of a session
is short, and finding another token with the same 144 bits is as hard as guessing one). The
user's primary key is in its key and its password hash never leaves the database. Decoding is
memoized per distinct entry, so a warm request unpacks nothing it has seen before.
"""

from __future__ import annotations

import copy
import functools
import pickle
import secrets
import struct
import zlib
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import models
from django.db.models.base import ModelState

from ..models import LoginMethod, WxSession

NONCE_LENGTH = 12  # secrets.token_urlsafe(9)
_SESSION = struct.Struct("<qIIIc")  # id, created, expires, last_seen (0: never), method
_METHODS = {method.value: method.value[:1].encode() for method in LoginMethod}
_METHOD_OF = {code: method for method, code in _METHODS.items()}
_APPID = NONCE_LENGTH + _SESSION.size
_EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_IMMUTABLE = (str, int, float, bytes, type(None), date, timedelta, Decimal, UUID)


def new_nonce() -> str:
    return secrets.token_urlsafe(9)


def to_timestamp(moment: datetime | None) -> int:
    """Whole seconds since the epoch; 0 for None."""
    return int(moment.timestamp()) if moment else 0


def from_timestamp(ts: int) -> datetime | None:
    """The aware datetime of ``to_timestamp``'s answer; None for 0."""
    return datetime.fromtimestamp(ts, tz=dt_timezone.utc) if ts else None


def loaded_instance(model: type[models.Model], values: dict[str, Any], db: str) -> Any:
    """An instance as a query would return it, built the way unpickling builds one (no
    ``__init__``); fields missing from ``values`` are deferred."""
    instance = model.__new__(model)
    instance.__dict__.update(values)
    state = instance._state = ModelState()
    state.adding, state.db = False, db
    return instance


def pack_session(nonce: str, row: WxSession) -> bytes:
    """The ``s`` entry of a session under the generation ``nonce``."""
    times = to_timestamp(row.created_at), to_timestamp(row.expires_at), \
        to_timestamp(row.last_seen_at)
    return nonce.encode() + _SESSION.pack(row.pk, *times, _METHODS[row.method]) + \
        row.appid.encode()


@functools.lru_cache(maxsize=4096)
def unpack_session(entry: bytes) -> tuple[dict[str, Any], int, int]:
    """A session entry's fields (all immutable), decoded once per process for each distinct
    entry; and its expiry and last-seen timestamps."""
    pk, created, expires, last_seen, method = _SESSION.unpack_from(entry, NONCE_LENGTH)
    return {
        "id": pk, "appid": entry[_APPID:].decode(), "created_at": from_timestamp(created),
        "expires_at": from_timestamp(expires), "last_seen_at": from_timestamp(last_seen),
        "revoked_at": None, "revoke_reason": "", "method": _METHOD_OF[method],
    }, expires, last_seen


@functools.cache
def _user_layout() -> tuple[type[models.Model], tuple[str, ...], tuple[int, ...], int]:
    """The user model, the fields the cache keeps (all concrete ones but the primary key, which
    is in the key, and the password hash), which of them are datetimes, and a tag of that list
    so an entry written before a schema change is a miss, not a wrong user."""
    model = WxSession._meta.get_field("user").related_model
    fields = [f for f in model._meta.concrete_fields
              if not f.primary_key and f.attname != "password"]
    names = tuple(f.attname for f in fields)
    stamps = tuple(i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField))
    return model, names, stamps, zlib.crc32(" ".join(names).encode())


def pack_user(user: Any) -> bytes:
    """The user's cached fields; aware datetimes as integer microseconds (98 bytes pickled
    otherwise)."""
    _, names, stamps, tag = _user_layout()
    values = [tag, *(getattr(user, name) for name in names)]
    for i in stamps:
        moment = values[i + 1]
        if moment is not None and moment.tzinfo is not None:
            values[i + 1] = (moment - _EPOCH) // _MICROSECOND
    return pickle.dumps(tuple(values), pickle.HIGHEST_PROTOCOL)


@functools.lru_cache(maxsize=4096)
def _decoded_user(user_ref: str, data: bytes) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    """A cached user's fields, decoded once per process for each distinct entry, and the names
    of those holding mutable values (copied per request); None when the entry predates the
    user model's current fields."""
    model, names, stamps, tag = _user_layout()
    tagged, *values = pickle.loads(data)  # noqa: S301  (written by pack_user; trusted)
    if tagged != tag:
        return None
    for i in stamps:
        if type(values[i]) is int:
            values[i] = _EPOCH + timedelta(microseconds=values[i])
    fields = dict(zip(names, values, strict=True))
    pk = model._meta.pk
    fields[pk.attname] = pk.to_python(user_ref)
    mutable = tuple(name for name, value in fields.items() if not isinstance(value, _IMMUTABLE))
    return fields, mutable


def unpack_user(user_ref: str, data: bytes, db: str) -> Any | None:
    """A fresh user instance from its cache entry, or None (see ``_decoded_user``)."""
    decoded = _decoded_user(user_ref, data)
    if decoded is None:
        return None
    fields, mutable = decoded
    user = loaded_instance(_user_layout()[0], fields, db)
    for name in mutable:
        user.__dict__[name] = copy.deepcopy(fields[name])
    return user
