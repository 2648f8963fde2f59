"""The admin through Django's test client: lists, search, filters, secrets, revocation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from django_wxlogin.models import RevokeReason, WxSession, WxUser
from django_wxlogin.wechat.fake import openid_for, unionid_for

from .conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"
USERS = "/admin/django_wxlogin/wxuser/"
SESSIONS = "/admin/django_wxlogin/wxsession/"


@pytest.fixture
def multi_session(settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}


def status(api, token: str) -> tuple[int, str | None]:
    """What /whoami/ answers for a token: (status, error code)."""
    response = api.get("/whoami/", **bearer(token))
    return response.status_code, None if response.status_code == 200 else response.json()["code"]


def wxuser(name: str) -> WxUser:
    return WxUser.objects.get(openid=openid_for(APPID, name))


def run_action(client, url: str, action: str, pks: list[int]):
    return client.post(url, {"action": action, "_selected_action": pks, "index": "0"},
                       follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def listed(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.fixture
def people(login, django_user_model):
    """alice (nickname, phone), bob, and nounion1 (no unionid): one session each."""
    tokens = {name: login(name).json()["token"] for name in ("alice", "bob", "nounion1")}
    WxUser.objects.filter(pk=wxuser("alice").pk).update(nickname="小明", phone_number="13800138000")
    return tokens


@pytest.mark.parametrize("term", [
    lambda: openid_for(APPID, "alice"),
    lambda: unionid_for("alice"),
    lambda: "小明",
    lambda: "13800138000",
    lambda: wxuser("alice").user.username,
])
def test_wxuser_search(admin_client, people, term):
    response = admin_client.get(USERS, {"q": term()})
    assert response.status_code == 200
    assert listed(response) == {wxuser("alice").pk}


def test_wxuser_list_columns(admin_client, people):
    content = admin_client.get(USERS).content.decode()
    alice = wxuser("alice")
    for value in (alice.openid, alice.unionid, "小明", alice.user.username, "13800138000"):
        assert value in content


def test_wxuser_filters(admin_client, people, django_user_model):
    other = django_user_model.objects.create(username="elsewhere")
    WxUser.objects.create(user=other, appid="wxotherapp", openid="o-elsewhere")
    everyone = set(WxUser.objects.values_list("pk", flat=True))

    assert listed(admin_client.get(USERS, {"has_unionid": "no"})) == \
        {wxuser("nounion1").pk, WxUser.objects.get(appid="wxotherapp").pk}
    assert listed(admin_client.get(USERS, {"has_unionid": "yes"})) == \
        {wxuser("alice").pk, wxuser("bob").pk}
    assert listed(admin_client.get(USERS, {"appid": "wxotherapp"})) == \
        {WxUser.objects.get(appid="wxotherapp").pk}
    y2k = "2000-01-01 00:00:00+08:00"
    assert listed(admin_client.get(USERS, {"created_at__gte": y2k})) == everyone
    assert listed(admin_client.get(USERS, {"created_at__lt": y2k})) == set()


def test_wxuser_page_shows_live_sessions_and_no_secrets(admin_client, login, multi_session):
    tokens = [login("alice").json()["token"] for _ in range(3)]
    alice = wxuser("alice")
    sessions = list(WxSession.objects.order_by("pk"))
    sessions[0].revoked_at = sessions[0].created_at
    sessions[0].save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_key FROM django_wxlogin_wxuser WHERE id = %s", [alice.pk])
        ciphertext = cursor.fetchone()[0]
    assert alice.session_key and ciphertext

    pages = [admin_client.get(f"{USERS}{alice.pk}/change/"), admin_client.get(USERS),
             admin_client.get(SESSIONS), admin_client.get(f"{SESSIONS}{sessions[1].pk}/change/")]
    change = pages[0].content.decode()
    for live in sessions[1:]:
        assert f"{live.digest_prefix}…" in change
        assert f"{SESSIONS}{live.pk}/change/" in change
    assert sessions[0].digest_prefix not in change  # revoked: not among the live sessions
    assert f"{SESSIONS}?status=live&amp;user={alice.user_id}" in change
    linked = admin_client.get(SESSIONS, {"status": "live", "user": alice.user_id})
    assert listed(linked) == {s.pk for s in sessions[1:]}
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        for secret in (alice.session_key, ciphertext, *tokens, *(s.digest for s in sessions)):
            assert secret not in html
        assert "session_key" not in html and "session key" not in html.lower()
    assert "id_session_key" not in change and 'name="session_key"' not in change


def test_wxuser_page_shows_the_newest_sessions_only(admin_client, people):
    alice = wxuser("alice")
    now = timezone.now()
    WxSession.objects.bulk_create(
        WxSession(user=alice.user, digest=f"{i:064x}", appid=APPID,
                  expires_at=now + timedelta(days=1)) for i in range(1, 26))
    html = admin_client.get(f"{USERS}{alice.pk}/change/").content.decode()
    newest = WxSession.objects.filter(user=alice.user).order_by("-pk")[:20]
    shown = [int(pk) for pk in re.findall(rf'href="{SESSIONS}(\d+)/change/"', html)]
    assert shown == [session.pk for session in newest]
    assert "Only the newest 20 are shown: see them all." in html


def test_wxuser_cannot_be_added_and_identity_is_read_only(admin_client, people):
    assert admin_client.get(f"{USERS}add/").status_code == 403
    alice = wxuser("alice")
    response = admin_client.post(f"{USERS}{alice.pk}/change/", {
        "openid": "forged", "unionid": "forged", "appid": "forged", "nickname": "Alice",
        "avatar_url": "", "phone_number": "13900139000",
    })
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.openid, alice.appid, alice.unionid) == \
        (openid_for(APPID, "alice"), APPID, unionid_for("alice"))
    assert (alice.nickname, alice.phone_number) == ("Alice", "13900139000")


def test_revoke_users_action_is_as_final_as_logout(admin_client, api, login, multi_session):
    alice = [login("alice").json()["token"] for _ in range(2)]
    bob = login("bob").json()["token"]
    for token in (*alice, bob):
        assert status(api, token) == (200, None)  # now cached

    response = run_action(admin_client, USERS, "revoke_users", [wxuser("alice").pk])
    assert messages_of(response) == ["Revoked 2 sessions."]
    for token in alice:
        assert status(api, token) == (401, "session_expired")
    assert status(api, bob) == (200, None)
    assert set(WxSession.objects.filter(user=wxuser("alice").user)
               .values_list("revoke_reason", flat=True)) == {RevokeReason.ADMIN}

    again = run_action(admin_client, USERS, "revoke_users", [wxuser("alice").pk])
    assert messages_of(again) == ["Revoked 0 sessions."]


def test_revoke_sessions_action(admin_client, api, login, multi_session):
    first, second = (login("alice").json()["token"] for _ in range(2))
    assert status(api, first) == (200, None) and status(api, second) == (200, None)
    old = WxSession.objects.order_by("pk").first()

    response = run_action(admin_client, SESSIONS, "revoke_sessions", [old.pk])
    assert messages_of(response) == ["Revoked 1 session."]
    assert status(api, first) == (401, "session_expired")
    assert status(api, second) == (200, None)
    old.refresh_from_db()
    assert old.revoke_reason == RevokeReason.ADMIN and old.revoked_at is not None
    assert messages_of(run_action(admin_client, SESSIONS, "revoke_sessions", [old.pk])) == \
        ["Revoked 0 sessions."]


def test_session_admin_is_read_only(admin_client, people):
    session = WxSession.objects.first()
    assert admin_client.get(f"{SESSIONS}add/").status_code == 403
    assert admin_client.get(f"{SESSIONS}{session.pk}/delete/").status_code == 403
    view = admin_client.get(f"{SESSIONS}{session.pk}/change/")
    assert view.status_code == 200 and "<form" in view.content.decode()
    assert 'name="_save"' not in view.content.decode()
    assert admin_client.post(f"{SESSIONS}{session.pk}/change/",
                             {"appid": "forged"}).status_code == 403
    actions = dict(admin_client.get(SESSIONS).context["action_form"].fields["action"].choices)
    assert set(actions) == {"", "revoke_sessions"}
    assert WxSession.objects.get(pk=session.pk).appid == APPID


def test_revoking_needs_the_session_change_permission(client, api, people, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(
        codename__in=["view_wxuser", "view_wxsession"]))
    client.force_login(staff)
    alice = wxuser("alice")
    assert client.get(USERS).context["action_form"] is None  # no action offered
    run_action(client, USERS, "revoke_users", [alice.pk])
    assert status(api, people["alice"]) == (200, None)

    staff.user_permissions.add(Permission.objects.get(codename="change_wxsession"))
    response = run_action(client, USERS, "revoke_users", [alice.pk])
    assert messages_of(response) == ["Revoked 1 session."]
    assert status(api, people["alice"]) == (401, "session_expired")


@pytest.mark.parametrize(("params", "who"), [
    ({"q": lambda: openid_for(APPID, "bob")}, {"bob"}),
    ({"q": lambda: unionid_for("bob")}, {"bob"}),
    ({"q": lambda: wxuser("bob").user.username}, {"bob"}),
    ({"status": lambda: "live"}, {"bob", "nounion1"}),
    ({"status": lambda: "revoked"}, {"alice"}),
    ({"revoke_reason": lambda: "logout"}, {"alice"}),
])
def test_session_search_and_filters(admin_client, api, people, params, who):
    api.post("/wx/logout/", **bearer(people["alice"]))
    response = admin_client.get(SESSIONS, {key: value() for key, value in params.items()})
    assert listed(response) == {WxSession.objects.get(user=wxuser(name).user).pk for name in who}


def test_session_search_by_ip(admin_client, login):
    login("alice", REMOTE_ADDR="10.9.8.7")
    login("bob", REMOTE_ADDR="192.168.1.1")
    response = admin_client.get(SESSIONS, {"q": "10.9.8.7"})
    assert listed(response) == {WxSession.objects.get(user=wxuser("alice").user).pk}


def test_sessions_show_how_they_were_opened(admin_client, api, login, django_user_model,
                                            multi_session):
    login("alice")
    user = wxuser("alice").user
    user.set_password("a password")
    user.save()  # which ends the WeChat session: log in again
    login("alice")
    response = api.post("/wx/login/password/", {"username": user.username,
                                                "password": "a password"}, format="json")
    assert response.status_code == 200, response.content
    wechat = WxSession.objects.live().get(method="wechat")
    password = WxSession.objects.get(method="password")
    assert listed(admin_client.get(SESSIONS, {"method": "password"})) == {password.pk}
    assert listed(admin_client.get(SESSIONS, {"method": "wechat", "status": "live"})) == \
        {wechat.pk}
    changelist = admin_client.get(SESSIONS).content.decode()
    assert '<td class="field-method">WeChat</td>' in changelist
    assert '<td class="field-method">password</td>' in changelist
    page = admin_client.get(f"{USERS}{wxuser('alice').pk}/change/").content.decode()
    assert "<th>login method</th>" in page
    assert "<td>WeChat</td>" in page and "<td>password</td>" in page


def test_identities_show_their_kind_and_conflicts_are_listed(admin_client, django_user_model):
    a, b = django_user_model.objects.create(username="a"), django_user_model.objects.create(
        username="b")
    oa = WxUser.objects.create(user=a, appid="wxoa", kind="official_account", openid="o-oa")
    WxUser.objects.create(user=b, appid=APPID, openid="o-mini", unionid="u-shared")
    listed = admin_client.get(USERS, {"kind": "official_account"}).content.decode()
    assert "o-oa" in listed and "o-mini" not in listed and "official_account" in listed
    from django.db import transaction

    from django_wxlogin.identities.conflicts import reveal_unionid

    with transaction.atomic():
        assert reveal_unionid(oa, "u-shared") is False
    page = admin_client.get("/admin/django_wxlogin/identityconflict/").content.decode()
    assert "u-shared" in page and "1 identity conflict" in page
    assert admin_client.get("/admin/django_wxlogin/identityconflict/add/").status_code == 403
