"""The admin of account closures (pending ones listed first, cancellable) and of the privacy
audit trail (read-only). Both show keyed hashes, never an openid."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..admin_records import RecordAdmin
from .closures import cancel
from .models import AccountClosure, ClosureState, PrivacyRecord


@admin.register(AccountClosure)
class AccountClosureAdmin(admin.ModelAdmin):
    list_display = ("subject_prefix", "user", "state", "requested_at", "erase_after",
                    "finished_at")
    list_filter = ("state", "erase_after")
    list_select_related = ("user",)
    ordering = ("state", "erase_after")  # "pending" sorts after "cancelled", before "erased"
    readonly_fields = ("user", "subject", "state", "requested_at", "erase_after", "finished_at")
    actions = ("cancel_closures",)

    @admin.display(description=_("subject"))
    def subject_prefix(self, closure: AccountClosure) -> str:
        return f"{closure.subject[:12]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a person closes their own account, re-authenticated

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of a closure is kept

    @admin.action(description=_("Cancel the selected pending closures"),
                  permissions=["change"])
    def cancel_closures(self, request: HttpRequest, queryset: QuerySet) -> None:
        pending = queryset.filter(state=ClosureState.PENDING).values_list("user_id", flat=True)
        count = sum(cancel(user_pk, by="admin") for user_pk in pending)
        self.message_user(request, ngettext("Cancelled %d closure.", "Cancelled %d closures.",
                                            count) % count, messages.SUCCESS)


@admin.register(PrivacyRecord)
class PrivacyRecordAdmin(RecordAdmin):
    list_display = ("created_at", "action", "subject", "appid", "outcome")
    list_filter = ("action", "appid", "created_at")
    search_fields = ("=subject",)  # paste the keyed hash of an identity to find its history
