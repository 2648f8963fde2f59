"""Keeps the session cache honest when users change outside the package, and deletes the
avatar file of an identity that is deleted (and of its avatar still held for a check)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import is_password_usable
from django.db.models.signals import post_delete, post_init, post_save

from . import avatars
from .models import RevokeReason, WxUser
from .moderation.models import ContentKind, ContentReview
from .sessions.revocation import forget_user, revoke_user
from .settings import wxlogin_settings

_DEFERRED = object()  # the password was not loaded with the user (store.py defers it)


def _user_loaded(sender: Any, instance: Any, **kwargs: Any) -> None:
    # The hash as loaded, read without loading a deferred field.
    instance._wxlogin_loaded_password = instance.__dict__.get("password", _DEFERRED)


def _locked_out(instance: Any) -> bool:
    """Whether this save makes the password unusable (``set_unusable_password()``, how many
    projects lock an account): the loaded one was usable, or never loaded, and is replaced."""
    new = instance.__dict__.get("password")
    loaded = getattr(instance, "_wxlogin_loaded_password", _DEFERRED)
    return new is not None and new != loaded and not is_password_usable(new) and \
        (loaded is _DEFERRED or is_password_usable(str(loaded)))


def _user_saved(sender: Any, instance: Any, created: bool = False, update_fields: Any = None,
                **kwargs: Any) -> None:
    # set_password() leaves the new password in _password until save() has run (Django's own
    # hash upgrades clear it first): a change, not a rehash.
    changed = getattr(instance, "_password", None) is not None or _locked_out(instance)
    if not created and changed and wxlogin_settings.PASSWORD_CHANGE_REVOKES:
        revoke_user(instance.pk, RevokeReason.PASSWORD_CHANGED)
    instance._wxlogin_loaded_password = instance.__dict__.get("password", _DEFERRED)
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
    post_init.connect(_user_loaded, sender=user_model, dispatch_uid="wxlogin_user_loaded")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="wxlogin_user_saved")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="wxlogin_user_deleted")
    post_delete.connect(_identity_deleted, sender=WxUser, dispatch_uid="wxlogin_avatar_deleted")
    post_delete.connect(_review_deleted, sender=ContentReview,
                        dispatch_uid="wxlogin_held_avatar_deleted")
