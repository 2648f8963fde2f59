"""Keeps the session cache honest when users change outside the package."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from .sessions.revocation import forget_user


def _user_saved(sender: Any, instance: Any, created: bool = False, update_fields: Any = None,
                **kwargs: Any) -> None:
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # a new user has nothing cached; last_login is a login's own bookkeeping
    forget_user(instance.pk)


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_user(instance.pk)


def connect() -> None:
    """Deactivating, editing or deleting a user voids its cached sessions at once."""
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="wxlogin_user_saved")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="wxlogin_user_deleted")
