"""The admin of records the package's own flows make and end (sessions, privacy records,
content reviews): shown, never added, edited or deleted by hand, so that what they record
stays true."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class RecordAdmin(admin.ModelAdmin):
    """A view-only ``ModelAdmin``; actions that go through the package's flows still apply."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
