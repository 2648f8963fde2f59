"""Linking a WeChat web or app identity to its user (the rules are in the package's docstring).

``link`` runs inside the caller's transaction, with the identity's row and its user's locked,
as ``users.login`` does for mini programs; concurrent first logins of one openid end with one
identity (the loser's insert fails on the unique constraint and it takes the winner's row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ..models import WxUser
from ..settings import WxApp, wxlogin_settings
from ..users import _locked_identity
from ..wechat.oauth import OAuthIdentity
from .conflicts import holder_of, reveal_unionid
from .errors import NoAccount, SnapshotUser


@dataclass
class Linked:
    wxuser: WxUser
    created: bool  # a new identity in this app
    user_created: bool  # ... and a new user for it


def known(app: WxApp, openid: str) -> bool:
    """Whether ``openid`` already has an identity in ``app``."""
    return WxUser.objects.filter(appid=app.appid, openid=openid).exists()


def link(identity: OAuthIdentity, app: WxApp) -> Linked:
    """The identity's ``WxUser``, made (and its user, or joined to the unionid's) when new."""
    if identity.snapshot:
        raise SnapshotUser()
    now = timezone.now()
    wxuser = _locked_identity(app.appid, identity.openid)
    if wxuser is not None:
        fields = ["last_login_at", "updated_at"]
        if reveal_unionid(wxuser, identity.unionid):
            fields.append("unionid")
        if identity.nickname and not wxuser.nickname:  # the user's own edits win
            wxuser.nickname = identity.nickname
            fields.append("nickname")
        if identity.avatar_url and not wxuser.avatar_url:
            wxuser.avatar_url = identity.avatar_url
            fields.append("avatar_url")
        wxuser.last_login_at = now
        wxuser.save(update_fields=fields)
        return Linked(wxuser, created=False, user_created=False)
    try:
        with transaction.atomic():
            user, user_created, taken = _user_for(identity, app)
            wxuser = WxUser.objects.create(
                user=user, appid=app.appid, kind=app.kind, openid=identity.openid,
                unionid=None if taken else identity.unionid, nickname=identity.nickname,
                avatar_url=identity.avatar_url, last_login_at=now)
            if taken:
                reveal_unionid(wxuser, identity.unionid)  # records the conflict
    except IntegrityError:
        wxuser = _locked_identity(app.appid, identity.openid)
        if wxuser is None:
            raise
        return Linked(wxuser, created=False, user_created=False)
    return Linked(wxuser, created=True, user_created=user_created)


def _user_for(identity: OAuthIdentity, app: WxApp) -> tuple[Any, bool, bool]:
    """Rule 1 (join the unionid's user) or 2 (a new user; never a guess): the user, whether
    it is new, and whether the unionid's user could not take it (it has another identity in
    this app already: then the new user is flagged as a conflict, not given the unionid)."""
    holder = holder_of(identity.unionid) if identity.unionid else None
    if holder is not None and not WxUser.objects.filter(user=holder, appid=app.appid).exists():
        return holder, False, False
    if wxlogin_settings.REQUIRE_ACCOUNT:
        raise NoAccount()
    return (import_string(wxlogin_settings.CREATE_USER)(identity, app.appid), True,
            holder is not None)
