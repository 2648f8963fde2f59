"""Closures waiting for their grace period, and the privacy audit trail. Neither holds an
openid, unionid or any other personal field: people are named by keyed hashes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ClosureState(models.TextChoices):
    PENDING = "pending", _("pending")
    CANCELLED = "cancelled", _("cancelled")
    ERASED = "erased", _("erased")


class AccountClosure(models.Model):
    """A person asked to close their account: erased at ``erase_after`` unless cancelled (by a
    login meanwhile, or in the admin). Kept after the erasure, without the user, as proof."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="wxlogin_closures", verbose_name=_("user"))
    subject = models.CharField(_("subject (keyed hash)"), max_length=64, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=ClosureState.choices,
                             default=ClosureState.PENDING)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    erase_after = models.DateTimeField(_("erase after"), db_index=True)
    finished_at = models.DateTimeField(_("cancelled or erased"), null=True, blank=True)

    class Meta:
        app_label = "django_wxlogin"
        verbose_name = _("account closure")
        verbose_name_plural = _("account closures")

    def __str__(self) -> str:
        return f"{self.subject[:12]}… {self.state}"


class PrivacyAction(models.TextChoices):
    CLOSURE_REQUESTED = "closure_requested", _("closure requested")
    CLOSURE_CANCELLED = "closure_cancelled", _("closure cancelled")
    USER_ERASED = "user_erased", _("user erased")
    IDENTITY_ERASED = "identity_erased", _("WeChat identity erased")
    CONSENT_REVOKED = "consent_revoked", _("consent withdrawn (user_authorization_revoke)")
    WECHAT_CANCELLED = "wechat_cancelled", _("WeChat account closed "
                                             "(user_authorization_cancellation)")
    PROFILE_SCRUBBED = "profile_scrubbed", _("profile scrubbed by WeChat (user_info_modified)")


class PrivacyRecord(models.Model):
    """One line of the privacy audit trail: what happened to whom (a keyed hash of the
    identity or user), when, and with what outcome, so that an operator can prove an erasure
    without keeping what was erased."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=PrivacyAction.choices)
    subject = models.CharField(_("subject (keyed hash)"), max_length=64, db_index=True)
    appid = models.CharField(_("appid"), max_length=32, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        app_label = "django_wxlogin"
        verbose_name = _("privacy record")
        verbose_name_plural = _("privacy records")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.subject[:12]}…"
