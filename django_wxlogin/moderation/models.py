"""Content waiting for, or refused by, a check: one row per nickname or avatar a person
submitted while checks are on. The published profile (``WxUser.nickname``, ``avatar_url``)
changes only when a row is approved."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContentKind(models.TextChoices):
    NICKNAME = "nickname", _("nickname")
    AVATAR = "avatar", _("avatar")


class ReviewStatus(models.TextChoices):
    """An approved or replaced review's row is deleted: these are the states that remain."""

    PENDING = "pending", _("pending")
    REFUSED = "refused", _("refused")
    EXPIRED = "expired", _("dropped: no verdict in time")


class DecidedBy(models.TextChoices):
    CHECKER = "checker", _("the content checker")
    OPERATOR = "operator", _("an operator")
    TIMEOUT = "timeout", _("the review window")


class ContentReview(models.Model):
    """A nickname or avatar that is not (yet) shown to others.

    A refused nickname's text is erased and a refused avatar's file deleted: what failed a
    check is kept nowhere, the admin included. ``trace_id`` matches WeChat's pushed verdict.
    """

    id = models.BigAutoField(primary_key=True)
    wxuser = models.ForeignKey("django_wxlogin.WxUser", on_delete=models.CASCADE,
                               related_name="content_reviews", verbose_name=_("WeChat user"))
    kind = models.CharField(_("kind"), max_length=16, choices=ContentKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=ReviewStatus.choices,
                              default=ReviewStatus.PENDING)
    # The nickname's text; for an avatar, the storage name of its file ("" for a URL).
    value = models.CharField(_("content"), max_length=255, blank=True)
    # For an avatar: the URL avatar_url takes once it is approved.
    url = models.URLField(_("URL once published"), max_length=512, blank=True)
    trace_id = models.CharField(_("trace id"), max_length=64, blank=True, editable=False)
    suggest = models.CharField(_("verdict"), max_length=16, blank=True)
    label = models.IntegerField(_("label"), null=True, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=16, choices=DecidedBy.choices,
                                  blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    expires_at = models.DateTimeField(_("verdict due by"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("content review")
        verbose_name_plural = _("content reviews")
        # At most one pending row per identity and kind: submissions lock the identity's row
        # (a conditional unique constraint would be lost on MySQL).
        indexes = [
            models.Index(fields=["wxuser", "kind", "status"], name="wxlogin_review_pending"),
            models.Index(fields=["trace_id"], name="wxlogin_review_trace"),
            models.Index(fields=["status", "expires_at"], name="wxlogin_review_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.get_status_display()})"

    def __repr__(self) -> str:
        return f"<ContentReview {self.pk} {self.kind} {self.status} wxuser={self.wxuser_id}>"
