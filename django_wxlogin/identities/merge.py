"""Merging the two users of an ``IdentityConflict``, on an operator's word (rule 5).

The user that holds the unionid is kept by default; the other one's identities and sessions
move to it (``accounts.merge_users``, as ``bind/`` merges), its sessions are revoked
(``merged``), ``accounts_merged`` lets the project move its own rows, and the retired user is
deleted. A retired user that is more than WeChat logins (a password, staff rights), rows that
protect it, or an app both users have an identity in refuse the merge: nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from ..accounts import _locked, merge_users
from ..exceptions import MergeRefused
from ..models import IdentityConflict, WxUser


def merge(conflict: IdentityConflict, *, keep_holder: bool = True) -> Any:
    """Merge the two users of ``conflict``; the user kept."""
    with transaction.atomic():
        holder_pk, other_pk = conflict.other_user_id, conflict.wxuser.user_id
        keep_pk, retire_pk = (holder_pk, other_pk) if keep_holder else (other_pk, holder_pk)
        kept, retired = _locked(keep_pk, retire_pk)
        if kept is None or retired is None or kept.pk == retired.pk:
            raise MergeRefused()
        merge_users(retired, kept)
        # One person, one user: every identity of it may now carry the unionid.
        WxUser.objects.filter(pk=conflict.wxuser_id).update(unionid=conflict.unionid)
        IdentityConflict.objects.filter(wxuser__user=kept, other_user=kept).update(
            resolved_at=timezone.now())
        IdentityConflict.objects.filter(pk=conflict.pk).update(resolved_at=timezone.now())
    return kept
