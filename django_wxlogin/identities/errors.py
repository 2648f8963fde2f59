"""The errors of the identity rules, with their stable codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions


class SnapshotUser(exceptions.PermissionDenied):
    """WeChat's snapshot page (快照页) handed out a virtual identity: nobody to log in."""

    default_code = "snapshot_user"
    default_detail = _("This page was opened as a preview. Tap “Use full service” at the "
                       "bottom of the page, or open it in WeChat, to log in.")


class NoAccount(exceptions.PermissionDenied):
    """Under ``REQUIRE_ACCOUNT`` a web or app login of someone unknown creates nothing."""

    default_code = "account_required"
    default_detail = _("Only existing accounts may log in here: bind your WeChat to your "
                       "account first.")
