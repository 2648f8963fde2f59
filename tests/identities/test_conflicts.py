"""Rule 5: two existing users found to be one person are flagged, never merged silently; an
operator merges them with ``wxlogin_merge``, and the project's own rows are never lost."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from django_wxlogin import signals
from django_wxlogin.models import IdentityConflict, RevokeReason, WxSession, WxUser
from django_wxlogin.wechat.fake import openid_for, unionid_for

from ..conftest import OFFICIAL_ACCOUNT, fresh_code
from ..web.conftest import through_wechat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("surfaces")]
OA = OFFICIAL_ACCOUNT["APPID"]


def _wechat_only(name: str) -> object:
    user = get_user_model()(username=name)
    user.set_unusable_password()
    user.save()
    return user


def _two_users_of_alice() -> tuple[object, object]:
    """User A: alice's Official Account identity, made before the app was bound (no unionid).
    User B: alice's mini program identity, with her unionid."""
    a, b = _wechat_only("a"), _wechat_only("b")
    WxUser.objects.create(user=a, appid=OA, kind="official_account",
                          openid=openid_for(OA, "alice"))
    WxUser.objects.create(user=b, appid="wxtestapp0000001", openid=openid_for(
        "wxtestapp0000001", "alice"), unionid=unionid_for("alice"))
    return a, b


def test_a_login_revealing_a_held_unionid_is_flagged_not_merged():
    a, b = _two_users_of_alice()
    seen: list[IdentityConflict] = []

    def receiver(sender, conflict, **kwargs):
        seen.append(conflict)

    signals.identity_conflict.connect(receiver)
    try:
        browser = APIClient()
        assert through_wechat(browser, "oa", "alice").status_code == 302
        assert browser.get("/web-whoami/").json() == {"user": str(a.pk)}  # still A
        through_wechat(APIClient(), "oa", "alice")
    finally:
        signals.identity_conflict.disconnect(receiver)
    conflict = IdentityConflict.objects.get()
    assert (conflict.wxuser.user_id, conflict.other_user_id) == (a.pk, b.pk)
    assert conflict.unionid == unionid_for("alice") and conflict.resolved_at is None
    assert [c.pk for c in seen] == [conflict.pk]  # once, however often A logs in
    assert WxUser.objects.get(appid=OA).unionid is None  # the unionid stays B's alone
    assert get_user_model().objects.count() == 2


def test_a_mini_program_login_revealing_a_held_unionid_is_flagged_too():
    model = get_user_model()
    a, b = model.objects.create(username="a"), model.objects.create(username="b")
    WxUser.objects.create(user=a, appid="wxtestapp0000001",
                          openid=openid_for("wxtestapp0000001", "alice"))
    WxUser.objects.create(user=b, appid=OA, kind="official_account",
                          openid=openid_for(OA, "alice"), unionid=unionid_for("alice"))
    answer = APIClient().post("/wx/login/mini/", {"code": fresh_code("alice")}, format="json")
    assert answer.json()["user"]["id"] == a.pk
    assert IdentityConflict.objects.filter(wxuser__user=a, other_user=b).exists()


def test_the_merge_command_merges_on_an_operators_word_and_moves_project_rows():
    a, b = _two_users_of_alice()
    through_wechat(APIClient(), "oa", "alice")
    conflict = IdentityConflict.objects.get()
    moved: list[tuple[int, int]] = []

    def receiver(sender, retired_user, account, **kwargs):
        moved.append((retired_user.pk, account.pk))  # where a project moves its own rows

    signals.accounts_merged.connect(receiver)
    try:
        call_command("wxlogin_merge", str(conflict.pk))
    finally:
        signals.accounts_merged.disconnect(receiver)
    assert moved == [(a.pk, b.pk)]
    assert list(get_user_model().objects.values_list("pk", flat=True)) == [b.pk]
    assert {w.unionid for w in WxUser.objects.filter(user=b)} == {unionid_for("alice")}
    assert WxUser.objects.filter(user=b).count() == 2
    assert not WxSession.objects.live().filter(revoke_reason=RevokeReason.MERGED).exists()
    assert WxSession.objects.filter(user=b, revoke_reason=RevokeReason.MERGED).count() == 1
    # One person now: the next Official Account login is B's.
    browser = APIClient()
    through_wechat(browser, "oa", "alice")
    assert browser.get("/web-whoami/").json() == {"user": str(b.pk)}


def test_a_merge_that_would_lose_an_account_is_refused_and_changes_nothing():
    a, _ = _two_users_of_alice()
    a.set_password("a-real-password")
    a.save()
    through_wechat(APIClient(), "oa", "alice")
    conflict = IdentityConflict.objects.get()
    with pytest.raises(CommandError, match="Not merged"):
        call_command("wxlogin_merge", str(conflict.pk))
    assert get_user_model().objects.count() == 2
    assert WxUser.objects.get(appid=OA).user_id == a.pk
    assert IdentityConflict.objects.get().resolved_at is None
