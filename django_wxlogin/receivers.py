"""Keeps the session cache honest when users change outside the package, and deletes the
avatar file of an identity that is deleted (and of its avatar still held for a check)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from . import avatars
from .models import RevokeReason, WxUser
from .moderation.models import ContentKind, ContentReview
from .sessions.revocation import forget_user, revoke_user
from .settings import wxlogin_settings


def _user_saved(sender: Any, instance: Any, created: bool = False, update_fields: Any = None,
                **kwargs: Any) -> None:
    # set_password() leaves the new password in _password until save() has run (Django's own
    # hash upgrades clear it first): a change, not a rehash.
    if not created and getattr(instance, "_password", None) is not None \
            and wxlogin_settings.PASSWORD_CHANGE_REVOKES:
        revoke_user(instance.pk, RevokeReason.PASSWORD_CHANGED)
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # a new user has nothing cached; last_login is a login's own bookkeeping
    forget_user(instance.pk)


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_user(instance.pk)


def _identity_deleted(sender: Any, instance: WxUser, **kwargs: Any) -> None:
    avatars.delete_later(instance.avatar_file)  # unbound, or its user deleted


def _review_deleted(sender: Any, instance: ContentReview, **kwargs: Any) -> None:
    if instance.kind == ContentKind.AVATAR:
        avatars.delete_later(instance.value)  # held, never published: its identity is gone


def connect() -> None:
    """Deactivating, editing or deleting a user voids its cached sessions at once."""
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="wxlogin_user_saved")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="wxlogin_user_deleted")
    post_delete.connect(_identity_deleted, sender=WxUser, dispatch_uid="wxlogin_avatar_deleted")
    post_delete.connect(_review_deleted, sender=ContentReview,
                        dispatch_uid="wxlogin_held_avatar_deleted")
