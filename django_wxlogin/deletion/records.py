"""The privacy audit trail: a ``PrivacyRecord`` row and an audit log line per closure, erasure
and privacy push, naming people by keyed hashes (``audit.identity_subject`` for identities),
never in clear."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from ..audit import clean
from ..crypto import keyed_hash
from .models import PrivacyRecord

logger = logging.getLogger("django_wxlogin.audit")


def user_subject(user_pk: Any) -> str:
    """The keyed hash of a Django user, for records about the account as a whole."""
    return keyed_hash("user", str(user_pk))


def record(action: str, subject: str, *, appid: str = "", outcome: str = "") -> PrivacyRecord:
    """Write one record (in the caller's transaction) and, once it commits, its log line."""
    row = PrivacyRecord.objects.create(action=action, subject=subject, appid=appid,
                                       outcome=outcome[:200])
    transaction.on_commit(lambda: logger.info(
        "privacy action=%s subject=%s app=%s outcome=%s", action, subject[:16],
        clean(appid) or "-", clean(outcome) or "-"))
    return row
