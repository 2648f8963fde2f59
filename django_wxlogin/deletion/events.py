"""WeChat's privacy events, from the message push (or ``wxlogin_revocations``' daily list):

- ``user_authorization_revoke``: the person withdrew consent; ``RevokeInfo`` names what to
  delete: 6 nickname and avatar, 19 and 20 the nickname or avatar component (both are
  erased), 8 the phone number. Other codes erase nothing and are recorded as such.
- ``user_authorization_cancellation``: the person closed their WeChat account; the identity is
  erased and its sessions end at once (the user too, when nothing else lets it in).
- ``user_info_modified``: WeChat scrubbed a risky nickname or avatar; ours are cleared.

Each sends its signal first, so the project erases its own copy, and leaves a record.
Handlers are idempotent: a second delivery finds nothing left to erase.
"""

from __future__ import annotations

import re

from .. import signals
from ..audit import identity_subject
from ..avatars import delete_later
from ..models import WxUser
from ..push.dispatch import PushMessage, handles
from .erasure import erase_identity, forget_unknown_identity
from .models import PrivacyAction
from .records import record

PROFILE = frozenset({"nickname", "avatar"})
REVOKED_FIELDS = {"6": PROFILE, "19": PROFILE, "20": PROFILE, "8": frozenset({"phone_number"})}


def revoked_fields(revoke_info: object) -> set[str]:
    """The fields a ``RevokeInfo`` (one code, or several separated by commas) names."""
    codes = re.findall(r"\d+", str(revoke_info or ""))
    return set().union(*(REVOKED_FIELDS.get(code, frozenset()) for code in codes))


def _identity(message: PushMessage) -> WxUser | None:
    return (WxUser.objects.select_for_update().select_related("user")
            .filter(appid=message.app.appid, openid=message.openid).first())


def clear(wxuser: WxUser, fields: set[str]) -> None:
    """Blank the named fields; the avatar file goes once the transaction commits."""
    if "nickname" in fields:
        wxuser.nickname = ""
    if "avatar" in fields:
        delete_later(wxuser.avatar_file)
        wxuser.avatar_url = wxuser.avatar_file = ""
    if "phone_number" in fields:
        wxuser.phone_number = ""
    wxuser.save()


@handles("user_authorization_revoke")
def consent_revoked(message: PushMessage) -> None:
    fields = revoked_fields(message.data.get("RevokeInfo"))
    subject = identity_subject(message.app.appid, message.openid)
    wxuser = _identity(message)
    codes = ",".join(re.findall(r"\d+", str(message.data.get("RevokeInfo", ""))))[:40]
    if wxuser is None:
        record(PrivacyAction.CONSENT_REVOKED, subject, appid=message.app.appid,
               outcome=f"RevokeInfo={codes}; no such identity")
        return
    signals.consent_revoked.send(sender=WxUser, wxuser=wxuser, message=message, fields=fields)
    if fields:
        clear(wxuser, fields)
    record(PrivacyAction.CONSENT_REVOKED, subject, appid=message.app.appid,
           outcome=f"RevokeInfo={codes}; erased={','.join(sorted(fields)) or 'nothing'}")


@handles("user_authorization_cancellation")
def wechat_account_closed(message: PushMessage) -> None:
    subject = identity_subject(message.app.appid, message.openid)
    wxuser = _identity(message)
    if wxuser is None:
        forget_unknown_identity(message.app.appid, message.openid)
        record(PrivacyAction.WECHAT_CANCELLED, subject, appid=message.app.appid,
               outcome="no such identity")
        return
    signals.wechat_account_closed.send(sender=WxUser, wxuser=wxuser, message=message)
    erase_identity(wxuser, outcome="WeChat account closed")
    record(PrivacyAction.WECHAT_CANCELLED, subject, appid=message.app.appid, outcome="erased")


@handles("user_info_modified")
def profile_scrubbed(message: PushMessage) -> None:
    subject = identity_subject(message.app.appid, message.openid)
    wxuser = _identity(message)
    if wxuser is not None:
        signals.profile_scrubbed.send(sender=WxUser, wxuser=wxuser, message=message)
        clear(wxuser, set(PROFILE))
    record(PrivacyAction.PROFILE_SCRUBBED, subject, appid=message.app.appid,
           outcome="nickname and avatar cleared" if wxuser else "no such identity")
