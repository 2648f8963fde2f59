"""The URL a checker fetches a held avatar from: signed, naming one review, and dead once the
review window ends or the review is decided. Nothing else about the file is public."""

from __future__ import annotations

from django.core import signing

SALT = "django_wxlogin.moderation.media"


def sign(review_id: int) -> str:
    """The token of ``review_id``'s media URL (timestamped: it expires)."""
    return signing.dumps(review_id, salt=SALT)


def review_of(token: str, max_age: int) -> int | None:
    """The review a token names, if it is genuine and younger than ``max_age`` seconds."""
    try:
        review_id = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return review_id if isinstance(review_id, int) else None
