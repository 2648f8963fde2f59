"""Edge cases: JSON nested beyond the parser's depth, invisible characters in nicknames, escape
sequences in what commands print, Cache-Control on personal data, and the admin's URL lookups."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from django_wxlogin.models import WxSession, WxUser

from .conftest import bearer, log_in

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = '{"code": ' + "[" * 100_000 + "]" * 100_000 + "}"
SESSIONS = "/admin/django_wxlogin/wxsession/"
USERS = "/admin/django_wxlogin/wxuser/"
SINCE = "2000-01-01T00:00:00+08:00"


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/wx/login/"), ("post", "/wx/login/password/"), ("post", "/wx/bind/"),
    ("post", "/wx/decrypt/"), ("patch", "/wx/profile/"), ("post", "/wx/profile/"),
    ("post", "/wx/phone/"), ("post", "/wx/unbind/"), ("post", "/wx/logout/"),
])
@pytest.mark.parametrize("body", [DEEP, '{"code": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001])
def test_json_nested_too_deep_is_a_parse_error(api, method, path, body):
    token, _ = log_in("deep")
    response = getattr(api, method)(path, body, content_type="application/json",
                                    **bearer(token))
    if path in ("/wx/unbind/", "/wx/logout/"):  # bodies these never read
        assert response.status_code in (204, 409)
        return
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("nickname", [
    "evil\u202egnp.exe", "zero\u200bwidth", "line\u2028break", "para\u2029graph",
    "c1\x9bcontrol", "bom\ufeff", "bell\x07", "esc\x1b[31m", "tag\U000e0041",
])
def test_nicknames_with_invisible_characters_are_refused(api, nickname):
    token, _ = log_in("nick")
    response = api.patch("/wx/profile/", {"nickname": nickname}, format="json", **bearer(token))
    assert response.status_code == 400
    error = response.json()["errors"]["nickname"][0]
    assert "invisible or control character (U+" in error
    assert WxUser.objects.get().nickname == ""


@pytest.mark.parametrize("nickname", ["小明", "😀 Mia", "👩‍💻程序媛", "👨‍👩‍👧", "👍🏽", "❤️", "Zoë"])
def test_emoji_and_chinese_nicknames_pass(api, nickname):
    token, _ = log_in("nick")
    response = api.patch("/wx/profile/", {"nickname": nickname}, format="json", **bearer(token))
    assert response.status_code == 200, response.content
    assert WxUser.objects.get().nickname == nickname


def test_commands_escape_what_a_client_chose(api):
    agent = "Mini\x1b]2;pwned\x07\x1b[2J\u202eProgram \x9b31m 微信"
    response = api.post("/wx/login/", {"code": "esc.1"}, format="json", HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    table, listing = io.StringIO(), io.StringIO()
    call_command("wxlogin_sessions", stdout=table)
    call_command("wxlogin_sessions", "--json", stdout=listing)
    for out in (table.getvalue(), listing.getvalue()):
        assert not any(c in out for c in "\x1b\x07\x9b\u202e"), repr(out)
        assert "微信" in out
    assert "\\x1b]2;pwned\\x07" in table.getvalue()
    assert json.loads(listing.getvalue())[0]["user_agent"] == agent


def test_personal_data_and_tokens_are_never_cached(api):
    token, _ = log_in("priv")
    for response in (api.get("/wx/profile/", **bearer(token)),
                     api.patch("/wx/profile/", {"nickname": "Priv"}, format="json",
                               **bearer(token)),
                     api.get("/wx/sessions/", **bearer(token)),
                     api.post("/wx/login/", {"code": "priv.2"}, format="json")):
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("url", "lookup"), [
    (SESSIONS, "digest__startswith"), (SESSIONS, "digest__gt"), (SESSIONS, "digest"),
    (SESSIONS, "user__password__startswith"), (USERS, "session_key__startswith"),
    (USERS, "user__password__startswith"),
])
def test_admin_lookups_on_what_it_does_not_show_are_refused(admin_client, url, lookup):
    log_in("adm")
    digest = WxSession.objects.get().digest
    assert admin_client.get(url, {lookup: digest[:1]}).status_code == 400


@pytest.mark.parametrize(("url", "params"), [
    (SESSIONS, {"status": "live"}), (SESSIONS, {"method__exact": "wechat"}),
    (SESSIONS, {"revoke_reason__exact": "logout"}), (SESSIONS, {"created_at__gte": SINCE}),
    (SESSIONS, {"user": "1"}), (SESSIONS, {"q": "adm"}), (USERS, {"has_unionid": "yes"}),
    (USERS, {"appid": "wx1"}), (USERS, {"created_at__gte": SINCE}),
])
def test_admin_lookups_on_what_it_shows_work(admin_client, url, params):
    log_in("adm")
    assert admin_client.get(url, params).status_code == 200
