"""The admin of content reviews: what waits for a verdict and what was refused, with approve
and refuse by hand. Approving publishes through the same path as a checker's ``pass``;
refusing erases the nickname or deletes the avatar file, as a ``risky`` verdict does."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..admin_records import RecordAdmin
from . import checkers, reviews
from .models import ContentKind, ContentReview, DecidedBy, ReviewStatus


@admin.register(ContentReview)
class ContentReviewAdmin(RecordAdmin):
    list_display = ("id", "kind", "status", "content", "wxuser", "suggest", "label",
                    "decided_by", "created_at", "expires_at", "decided_at")
    list_filter = ("status", "kind", "decided_by")
    list_select_related = ("wxuser",)
    fields = ("wxuser", "kind", "status", "content", "suggest", "label", "decided_by",
              "created_at", "expires_at", "decided_at")
    readonly_fields = fields
    ordering = ("-pk",)
    actions = ("approve", "refuse")
    search_fields = ("wxuser__openid",)

    # Reviews are made by profile changes and ended by verdicts (RecordAdmin).

    def has_decide_permission(self, request: HttpRequest) -> bool:
        opts = ContentReview._meta
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.display(description=_("content"))
    def content(self, review: ContentReview) -> str:
        """A pending nickname's text or avatar's image; refused content is gone."""
        if review.kind == ContentKind.NICKNAME:
            return review.value or "-"
        url = default_storage.url(review.value) if review.value else review.url
        if not url:
            return "-"
        return format_html('<img src="{}" alt="" width="64" height="64">', url)

    def _decide(self, request: HttpRequest, queryset: QuerySet, verdict: str) -> int:
        pending = queryset.filter(status=ReviewStatus.PENDING).values_list("pk", flat=True)
        return sum(reviews.decide(pk, verdict, by=DecidedBy.OPERATOR) for pk in list(pending))

    @admin.action(description=_("Approve: publish the selected content"),
                  permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = self._decide(request, queryset, checkers.PASS)
        self.message_user(request, ngettext("Published %(count)d item.",
                                            "Published %(count)d items.", count)
                          % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Refuse: delete the selected content"),
                  permissions=["decide"])
    def refuse(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = self._decide(request, queryset, checkers.RISKY)
        self.message_user(request, ngettext("Refused %(count)d item.",
                                            "Refused %(count)d items.", count)
                          % {"count": count}, messages.SUCCESS)
