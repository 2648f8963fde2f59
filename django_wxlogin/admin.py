"""The admin: WeChat identities and their sessions, read-only except for revocation.

Secrets never reach a page: ``session_key`` has no field anywhere, and a session shows only the
first characters of its token digest, enough to tell sessions apart and useless otherwise.
Revoking goes through ``sessions.revocation``, so it is as final as a logout: database and
cache at once.
"""

from __future__ import annotations

from typing import Any, cast

import django
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value, flatten, flatten_fieldsets
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_records import RecordAdmin
from .models import IdentityConflict, RevokeReason, SessionQuerySet, WxSession, WxUser
from .sessions import outbox
from .sessions.revocation import revoke_batched
from .settings import wxlogin_settings

SESSIONS_SHOWN = 20


def _username_lookup() -> str:
    return f"user__{get_user_model().USERNAME_FIELD}"


class RevokeActionsMixin:
    """The permission and the message both revoke actions share, and URL lookups
    (``?field__lookup=value``) allowed only on what the admin shows: never on the full token
    digest or the encrypted session_key, which staff could otherwise bisect a character at a
    time with ``?digest__startswith=``."""

    def shown_names(self) -> set[str]:
        """The fields and filters the pages show (list, detail, filters)."""
        names = {*self.list_display, *self.readonly_fields}  # type: ignore[attr-defined]
        names.update(flatten_fieldsets(self.fieldsets) if self.fieldsets  # type: ignore[attr-defined]
                     else flatten(self.fields or ()))  # type: ignore[attr-defined]
        for item in self.list_filter:  # type: ignore[attr-defined]
            item = item[0] if isinstance(item, list | tuple) else item
            names.add(getattr(item, "parameter_name", item))  # a SimpleListFilter's, or a field
        return names

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        since_5 = (request,) if django.VERSION >= (5, 0) else ()  # Django 4.2 has no request
        return lookup.split(LOOKUP_SEP, 1)[0] in self.shown_names() and \
            super().lookup_allowed(lookup, value, *since_5)  # type: ignore[misc]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        # The session admin changes nothing else, so its change permission means "may revoke".
        opts = WxSession._meta
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")

    def revoke_and_report(self, request: HttpRequest, sessions: QuerySet) -> None:
        undelivered = outbox.undelivered()
        count = revoke_batched(sessions, RevokeReason.ADMIN)
        if outbox.undelivered() > undelivered:
            self.message_user(  # type: ignore[attr-defined]
                request, _("Not applied to the servers' cache at once (this process's cache is "
                           "per process or could not be reached): the sessions are revoked, and "
                           "the servers will refuse them within %(seconds)s seconds.")
                % {"seconds": wxlogin_settings.REVOCATION_SYNC_INTERVAL}, messages.WARNING)
        self.message_user(  # type: ignore[attr-defined]
            request,
            ngettext("Revoked %(count)d session.", "Revoked %(count)d sessions.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class HasUnionidFilter(admin.SimpleListFilter):
    title = _("has unionid")
    parameter_name = "has_unionid"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(unionid__isnull=self.value() == "no")
        return queryset


@admin.register(WxUser)
class WxUserAdmin(RevokeActionsMixin, admin.ModelAdmin):
    list_display = ("openid", "unionid", "nickname", "user", "kind", "appid", "phone_number",
                    "created_at", "last_login_at")
    list_filter = ("kind", "appid", HasUnionidFilter, "created_at")
    list_select_related = ("user",)
    fieldsets = (
        (None, {"fields": ("user", "kind", "appid", "openid", "unionid")}),
        (_("Profile"), {"fields": ("nickname", "avatar_url", "phone_number")}),
        (_("Activity"), {"fields": ("created_at", "updated_at", "last_login_at")}),
        (_("Live sessions"), {"fields": ("live_sessions",)}),
    )
    readonly_fields = ("user", "kind", "appid", "openid", "unionid", "created_at", "updated_at",
                       "last_login_at", "live_sessions")
    actions = ("revoke_users",)
    # Django 5 warns until told what scheme a bare avatar URL gets; https, as Django 6 assumes.
    formfield_overrides = ({models.URLField: {"assume_scheme": "https"}}
                           if django.VERSION >= (5, 0) else {})

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return ("openid", "unionid", "nickname", "phone_number", _username_lookup())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # identities come from WeChat logins only

    @admin.action(description=_("Revoke all sessions of the selected users"),
                  permissions=["revoke"])
    def revoke_users(self, request: HttpRequest, queryset: QuerySet) -> None:
        sessions = WxSession.objects.live().filter(user__in=queryset.values("user"))
        self.revoke_and_report(request, sessions)

    @admin.display(description=_("live sessions"))
    def live_sessions(self, wxuser: WxUser) -> SafeString | str:
        """The linked user's live sessions (from any mini program), newest first."""
        rows = list(WxSession.objects.live().filter(user_id=wxuser.user_id)
                    .order_by("-pk")[:SESSIONS_SHOWN + 1])
        if not rows:
            return str(_("None"))
        headers = (_("token digest"), _("appid"), _("login method"), _("created"), _("expires"),
                   _("last seen"), _("IP address"), _("user agent"))
        cells = (
            (reverse("admin:django_wxlogin_wxsession_change", args=[s.pk]), s.digest_prefix,
             s.appid, s.get_method_display(), *(display_for_value(value, "-") for value in (
                 s.created_at, s.expires_at, s.last_seen_at, s.ip_address)), s.user_agent)
            for s in rows[:SESSIONS_SHOWN]
        )
        more = (_("Only the newest %(count)d are shown: see them all.")
                % {"count": SESSIONS_SHOWN} if len(rows) > SESSIONS_SHOWN
                else _("Open in the session list"))
        return format_html(
            '<table class="wxlogin-sessions"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
            '<p><a href="{}?status=live&amp;user={}">{}</a></p>',
            format_html_join("", "<th>{}</th>", ((header,) for header in headers)),
            format_html_join(
                "", '<tr><td><a href="{}">{}…</a></td>' + "<td>{}</td>" * 7 + "</tr>", cells),
            reverse("admin:django_wxlogin_wxsession_changelist"), wxuser.user_id, more,
        )


class SessionStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("live", _("live")), ("revoked", _("revoked")), ("expired", _("expired"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "live":
            return cast(SessionQuerySet, queryset).live()
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=timezone.now())
        return queryset


USER_AGENT_SHOWN = 32  # characters of the user agent in the session list (all on its page)


@admin.register(WxSession)
class WxSessionAdmin(RevokeActionsMixin, RecordAdmin):
    # Sessions are made by logins and ended by revoking (a deleted row would also lose the
    # record of its revocation): RecordAdmin.
    # Every column fits a 1280 px screen beside the filters (tests/test_admin_browser.py):
    # the appid and the expiry are on a session's page, the user agent is cut.
    list_display = ("token", "person", "method", "created_at", "last_seen_at", "revoked",
                    "ip_address", "short_user_agent")
    # No appid filter: listing its values would scan the whole (large) table on every page.
    # (The choice filters list fixed choices, without a query.)
    list_filter = (SessionStatusFilter, "method", "revoke_reason", "created_at")
    list_select_related = ("user",)
    fields = ("token", "user", "appid", "surface", "method", "created_at", "expires_at",
              "last_seen_at", "revoked_at", "revoke_reason", "user_agent", "ip_address")
    readonly_fields = fields
    ordering = ("-pk",)
    show_full_result_count = False  # no second COUNT(*) over a large table per page
    actions = ("revoke_sessions",)
    change_form_template = "admin/django_wxlogin/wxsession/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The person column's identities, in one query per page.
        return super().get_queryset(request).prefetch_related("user__wechat_identities")

    @admin.display(description=_("user"), ordering="user")
    def person(self, session: WxSession) -> str:
        """The WeChat nickname, else the openid, of the session's mini program (rather than
        the generated username); the username for an account without WeChat."""
        identities = list(session.user.wechat_identities.all())
        identity = next((i for i in identities if i.appid == session.appid),
                        identities[0] if identities else None)
        if identity is None:
            return session.user.get_username()
        return identity.nickname or identity.openid

    @admin.display(description=_("revoked"), ordering="revoked_at")
    def revoked(self, session: WxSession) -> str:
        """When and why, in one column: "revoked in the admin, Dec. 7, 2026, 5:58 a.m."."""
        if session.revoked_at is None:
            return "-"
        when = display_for_value(session.revoked_at, "-")
        return f"{session.get_revoke_reason_display()}, {when}"

    @admin.display(description=_("user agent"), ordering="user_agent")
    def short_user_agent(self, session: WxSession) -> SafeString | str:
        agent = session.user_agent
        if len(agent) <= USER_AGENT_SHOWN:
            return agent
        return format_html('<span title="{}">{}…</span>', agent, agent[:USER_AGENT_SHOWN])

    def get_urls(self) -> list[Any]:
        opts = self.model._meta
        revoke = path("<path:object_id>/revoke/", self.admin_site.admin_view(self.revoke_view),
                      name=f"{opts.app_label}_{opts.model_name}_revoke")
        return [revoke, *super().get_urls()]

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The Revoke button of a session's page (a POST): as final as the list's action."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        sessions = WxSession.objects.filter(pk=object_id) if object_id.isdigit() else \
            WxSession.objects.none()
        if not sessions.exists():
            raise Http404
        self.revoke_and_report(request, cast(SessionQuerySet, sessions).live())
        return redirect("admin:django_wxlogin_wxsession_change", object_id)

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], add: bool = False,
                           change: bool = False, form_url: str = "",
                           obj: Any = None) -> HttpResponse:
        context["can_revoke"] = (obj is not None and obj.revoked_at is None
                                 and self.has_revoke_permission(request))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return (_username_lookup(), "user__wechat_identities__openid",
                "user__wechat_identities__unionid", "ip_address")

    @admin.display(description=_("token digest"))
    def token(self, session: WxSession) -> str:
        return f"{session.digest_prefix}…"

    @admin.action(description=_("Revoke selected sessions"), permissions=["revoke"])
    def revoke_sessions(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.revoke_and_report(request, cast(SessionQuerySet, queryset).live())


@admin.register(IdentityConflict)
class IdentityConflictAdmin(admin.ModelAdmin):
    """Users found to be one person: read-only; ``manage.py wxlogin_merge`` merges them."""

    list_display = ("pk", "wxuser", "identity_user", "other_user", "unionid", "created_at",
                    "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "created_at")
    list_select_related = ("wxuser__user", "other_user")
    fields = list_display[1:]
    readonly_fields = (*fields, "identity_user")

    @admin.display(description=_("user of the identity"))
    def identity_user(self, conflict: IdentityConflict) -> Any:
        return conflict.wxuser.user

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


from .deletion import admin as deletion_admin  # noqa: E402, F401  (closures, privacy records)
from .moderation import admin as moderation_admin  # noqa: E402, F401  (registers its admin)
