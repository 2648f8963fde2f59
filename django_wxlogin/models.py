"""WeChat identities and the sessions (tokens) issued to users."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .crypto import EncryptedTextField
from .settings import KINDS, MINIPROGRAM, wxlogin_settings

KIND_CHOICES = [(kind, kind) for kind in KINDS]


class WxUser(models.Model):
    """A WeChat identity (one openid in one mini program) linked to a Django user.

    A Django user has at most one ``WxUser`` per mini program; several mini programs sharing a
    unionid can point at the same user.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wechat_identities",
        verbose_name=_("user"),
    )
    appid = models.CharField(_("appid"), max_length=32)
    # The kind of app the identity belongs to (settings.KINDS), recorded when it was made.
    kind = models.CharField(_("kind of app"), max_length=20, choices=KIND_CHOICES,
                            default=MINIPROGRAM)
    openid = models.CharField(_("openid"), max_length=64)
    # NULL, not "": the app is not bound to an Open Platform account (no unionid from WeChat).
    unionid = models.CharField(  # noqa: DJ001
        _("unionid"), max_length=64, null=True, blank=True, db_index=True
    )
    nickname = models.CharField(_("nickname"), max_length=64, blank=True)
    avatar_url = models.URLField(_("avatar URL"), max_length=512, blank=True)
    # The storage name of an uploaded avatar (avatar_url shows it), deleted when replaced.
    avatar_file = models.CharField(_("avatar file"), max_length=255, blank=True, editable=False)
    phone_number = models.CharField(_("phone number"), max_length=32, blank=True)
    # WeChat's latest session_key: encrypted at rest, never serialized, shown or logged.
    session_key = EncryptedTextField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_login_at = models.DateTimeField(_("last login"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeChat user")
        verbose_name_plural = _("WeChat users")
        constraints = [
            models.UniqueConstraint(fields=["appid", "openid"], name="wxlogin_wxuser_app_openid"),
            models.UniqueConstraint(fields=["user", "appid"], name="wxlogin_wxuser_user_app"),
        ]

    def __str__(self) -> str:
        return self.nickname or self.openid

    def __repr__(self) -> str:
        return f"<WxUser {self.pk} appid={self.appid} openid={self.openid}>"


class RevokeReason(models.TextChoices):
    LOGOUT = "logout", _("logout")
    LOGOUT_ALL = "logout_all", _("logout everywhere")
    SINGLE_SESSION = "single_session", _("single sign-on: a newer login")
    USER = "user", _("revoked by the user")
    ADMIN = "admin", _("revoked in the admin")
    COMMAND = "command", _("revoked by a management command")
    MERGED = "merged", _("merged into an account by binding")
    UNBIND = "unbind", _("WeChat identity unbound")
    PASSWORD_CHANGED = "password", _("the password changed")


class PendingInvalidation(models.Model):
    """Cache entries a committed revocation could not void (its process could not reach
    Redis). Any process that can reach Redis voids them and deletes the row, each checking at
    most every ``REVOCATION_SYNC_INTERVAL`` seconds (see ``sessions.outbox``)."""

    id = models.BigAutoField(primary_key=True)
    names = models.TextField(_("cache entries"))  # space-separated entry names
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("pending cache invalidation")
        verbose_name_plural = _("pending cache invalidations")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S}: {self.names}"


class LoginMethod(models.TextChoices):
    """How a session was opened: by WeChat (login/, bind/) or by a password (login/password/)."""

    WECHAT = "wechat", _("WeChat")
    PASSWORD = "password", _("password")


def _dead(now: datetime) -> models.Q:
    """Dead as authentication sees it: past the absolute lifetime, or unused too long."""
    dead = models.Q(expires_at__lte=now)
    idle = wxlogin_settings.idle_timeout_seconds
    if idle:
        dead |= models.Q(last_seen_at__lte=now - timedelta(seconds=idle))
    return dead


class SessionQuerySet(models.QuerySet):
    def live(self) -> SessionQuerySet:
        """Sessions a token would still be accepted for."""
        return self.filter(revoked_at__isnull=True).exclude(_dead(timezone.now()))

    def expired(self) -> SessionQuerySet:
        """Sessions dead by time (lifetime or ``IDLE_TIMEOUT``) but not marked revoked."""
        return self.filter(revoked_at__isnull=True).filter(_dead(timezone.now()))


class WxSession(models.Model):
    """One issued token. Only the token's SHA-256 digest is stored, never the token."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wxlogin_sessions",
        verbose_name=_("user"),
    )
    digest = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    appid = models.CharField(_("appid"), max_length=32, blank=True)
    method = models.CharField(_("login method"), max_length=16, choices=LoginMethod.choices,
                              default=LoginMethod.WECHAT)
    # Where the session is used: an app kind (settings.KINDS) or another surface's name.
    surface = models.CharField(_("surface"), max_length=32, default=MINIPROGRAM)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoke_reason = models.CharField(
        _("revoke reason"), max_length=16, choices=RevokeReason.choices, blank=True
    )
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "revoked_at"], name="wxlogin_session_user_live")]

    def __str__(self) -> str:
        return f"{self.digest_prefix}… ({self.user_id})"

    def __repr__(self) -> str:
        return f"<WxSession {self.pk} user={self.user_id}>"

    @property
    def digest_prefix(self) -> str:
        """Enough of the digest to tell sessions apart in the admin and in listings; the only
        part of it ever shown."""
        return self.digest[:8]


class IdentityConflict(models.Model):
    """A login showed that two users are one person: ``wxuser`` (a login of ``wxuser.user``)
    came with a unionid that ``other_user`` already holds. Nothing is merged by itself: the
    identity keeps its user, the unionid stays with ``other_user``, and an operator decides
    (the admin lists these; ``manage.py wxlogin_merge`` merges, sending ``accounts_merged``)."""

    wxuser = models.ForeignKey(WxUser, on_delete=models.CASCADE, related_name="conflicts",
                               verbose_name=_("identity"))
    other_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                   related_name="+", verbose_name=_("user holding the unionid"))
    unionid = models.CharField(_("unionid"), max_length=64)
    created_at = models.DateTimeField(_("found"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("identity conflict")
        verbose_name_plural = _("identity conflicts")
        constraints = [models.UniqueConstraint(fields=["wxuser", "other_user"],
                                               name="wxlogin_conflict_pair")]

    def __str__(self) -> str:
        return f"{self.wxuser_id} ~ {self.other_user_id} ({self.unionid})"
