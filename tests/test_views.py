"""The HTTP API end to end: fake WeChat over HTTP, real PostgreSQL and Redis."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from PIL import Image

from django_wxlogin.models import RevokeReason, WxSession, WxUser
from django_wxlogin.wechat.fake import openid_for, unionid_for

from .conftest import bearer, fresh_code

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"


def test_login_returns_a_token_and_the_user(api, login):
    response = login("alice", HTTP_USER_AGENT="MiniProgram/8.0", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "token_type", "expires_at", "expires_in", "created", "user",
                         "closure_cancelled"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 7 * 24 * 3600
    assert body["created"] is True
    assert body["user"]["openid"] == openid_for(APPID, "alice")
    assert body["user"]["unionid"] == unionid_for("alice")
    assert set(body["user"]) == {"id", "openid", "unionid", "nickname", "avatar_url"}
    assert response["Cache-Control"] == "no-store"
    assert "session_key" not in response.content.decode()

    session = WxSession.objects.get()
    assert session.user_agent == "MiniProgram/8.0" and session.ip_address == "10.1.2.3"
    assert body["token"] not in session.digest
    assert len(session.digest) == 64

    me = api.get("/whoami/", **bearer(body["token"]))
    assert me.status_code == 200
    assert me.json() == {"user": str(body["user"]["id"]), "session": session.pk}


def test_second_login_finds_the_same_user(login):
    first = login("bob").json()
    second = login("bob").json()
    assert second["created"] is False
    assert second["user"]["id"] == first["user"]["id"]
    assert WxUser.objects.count() == 1


def test_single_session_revokes_the_earlier_token(api, login):
    old = login("carol").json()["token"]
    new = login("carol").json()["token"]
    assert api.get("/whoami/", **bearer(new)).status_code == 200
    response = api.get("/whoami/", **bearer(old))
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert WxSession.objects.get(revoked_at__isnull=False).revoke_reason == \
        RevokeReason.SINGLE_SESSION


def test_multi_session_keeps_every_device(api, login, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    phone = login("dave").json()["token"]
    tablet = login("dave").json()["token"]
    assert api.get("/whoami/", **bearer(phone)).status_code == 200
    assert api.get("/whoami/", **bearer(tablet)).status_code == 200
    listed = api.get("/wx/sessions/", **bearer(tablet)).json()
    assert len(listed) == 2
    assert [s["current"] for s in listed] == [True, False]


def test_logout_kills_the_token(api, login):
    token = login().json()["token"]
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204
    again = api.post("/wx/logout/", **bearer(token))
    assert again.status_code == 401
    assert again.json()["code"] == "session_expired"
    assert again["WWW-Authenticate"] == 'Bearer realm="api"'
    assert api.get("/whoami/", **bearer(token)).status_code == 401


def test_logout_all_kills_every_session(api, login, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    tokens = [login("erin").json()["token"] for _ in range(3)]
    assert api.post("/wx/logout/all/", **bearer(tokens[0])).status_code == 204
    for token in tokens:
        assert api.get("/whoami/", **bearer(token)).status_code == 401
    assert WxSession.objects.live().count() == 0


def test_delete_own_session_and_not_someone_elses(api, login, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    mine = [login("frank").json()["token"] for _ in range(2)]
    other = login("grace").json()["token"]
    other_id = api.get("/wx/sessions/", **bearer(other)).json()[0]["id"]
    assert api.delete(f"/wx/sessions/{other_id}/", **bearer(mine[0])).status_code == 404
    assert api.get("/whoami/", **bearer(other)).status_code == 200

    listed = api.get("/wx/sessions/", **bearer(mine[0])).json()
    second_id = next(s["id"] for s in listed if not s["current"])
    assert api.delete(f"/wx/sessions/{second_id}/", **bearer(mine[0])).status_code == 204
    assert api.get("/whoami/", **bearer(mine[1])).status_code == 401
    assert api.get("/whoami/", **bearer(mine[0])).status_code == 200
    huge = api.delete("/wx/sessions/99999999999999999999999/", **bearer(mine[0]))
    assert huge.status_code == 404


def test_profile_json_update(api, login):
    token = login().json()["token"]
    response = api.patch("/wx/profile/", {"nickname": "  小明 ", "avatar_url":
                         "https://example.com/a.png"}, format="json", **bearer(token))
    assert response.status_code == 200, response.content
    assert response.json()["nickname"] == "小明"
    profile = api.get("/wx/profile/", **bearer(token)).json()
    assert profile["avatar_url"] == "https://example.com/a.png"
    assert "session_key" not in profile


def test_emoji_nicknames_round_trip(api, login):
    """Four-byte characters survive the database (utf8mb4 on MySQL and MariaDB)."""
    token = login().json()["token"]
    response = api.patch("/wx/profile/", {"nickname": "小明🐱"}, format="json", **bearer(token))
    assert response.status_code == 200, response.content
    assert WxUser.objects.get().nickname == "小明🐱"
    assert api.get("/wx/profile/", **bearer(token)).json()["nickname"] == "小明🐱"


def _png(size=(8, 8)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "avatar.png"
    return buffer


def test_profile_avatar_upload(api, login):
    token = login().json()["token"]
    response = api.patch("/wx/profile/", {"avatar": _png(), "nickname": "Mia"},
                         format="multipart", **bearer(token))
    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    assert url.startswith("http://testserver/media/wxlogin/avatars/") and url.endswith(".png")


@pytest.mark.parametrize(("payload", "fmt"), [
    ({"nickname": "x" * 65}, "json"),
    ({"nickname": 12}, "json"),
    ({"nickname": "a\x00b"}, "json"),
    ({"avatar_url": "not a url"}, "json"),
    ({"avatar": io.BytesIO(b"GIF89a but not really an image")}, "multipart"),
])
def test_profile_rejects_bad_input(api, login, payload, fmt):
    token = login().json()["token"]
    response = api.patch("/wx/profile/", payload, format=fmt, **bearer(token))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert WxUser.objects.get().nickname == ""


def test_profile_rejects_a_too_large_avatar(api, login, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "AVATAR_MAX_BYTES": 100}
    token = login().json()["token"]
    response = api.patch("/wx/profile/", {"avatar": _png((64, 64))}, format="multipart",
                         **bearer(token))
    assert response.status_code == 400
    assert response.json()["errors"]["avatar"][0]


@pytest.mark.parametrize("body", [
    {}, {"code": ""}, {"code": " alice"}, {"code": "a b"}, {"code": "x" * 129},
    {"code": 123}, {"code": None}, {"code": ["alice"]}, {"code": "登录"}, {"code": "a\tb"},
    [], "alice",
])
def test_login_rejects_bad_codes_before_calling_wechat(api, fake_wechat, body):
    before = len(fake_wechat.calls("/sns/jscode2session"))
    response = api.post("/wx/login/", body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) >= {"code", "detail"}
    assert len(fake_wechat.calls("/sns/jscode2session")) == before


def test_login_rejects_malformed_json_and_wrong_methods(api):
    response = api.post("/wx/login/", "{bad", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    response = api.get("/wx/login/")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(("code", "status", "machine_code"), [
    ("err.40029", 400, "invalid_code"),
    ("err.40163", 400, "invalid_code"),
    ("err.45011", 429, "wechat_rate_limited"),
    ("err.40226", 403, "user_blocked"),
    ("err.-1", 503, "wechat_unavailable"),
    ("garbage", 503, "wechat_unavailable"),
    ("http.502", 503, "wechat_unavailable"),
    ("nokey", 503, "wechat_unavailable"),
    ("err.40125", 500, "wechat_misconfigured"),
])
def test_wechat_errors_map_to_http_and_create_nothing(api, code, status, machine_code):
    response = api.post("/wx/login/", {"code": code}, format="json")
    assert response.status_code == status
    assert response.json()["code"] == machine_code
    assert WxUser.objects.count() == 0 and WxSession.objects.count() == 0
    if status == 503:
        assert int(response["Retry-After"]) > 0
    assert "secret" not in response.content.decode().lower()


def test_a_used_code_is_refused(api):
    """Once the duplicate-code lock has expired, WeChat's own 40163 answers."""
    code = fresh_code("henry")
    assert api.post("/wx/login/", {"code": code}, format="json").status_code == 200
    cache.clear()
    again = api.post("/wx/login/", {"code": code}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid_code"


def test_errors_speak_chinese_to_chinese_clients(api, login):
    token = login().json()["token"]
    api.post("/wx/logout/", **bearer(token))
    response = api.post("/wx/logout/", **bearer(token), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 401
    assert response.json() == {"code": "session_expired", "detail": "登录状态已失效，请重新登录。"}
    bad = api.post("/wx/login/", {"code": "err.40029"}, format="json",
                   HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert bad.json()["detail"] == "登录凭证 code 无效、已过期或已被使用，请重新调用 wx.login。"
    english = api.post("/wx/logout/", **bearer(token))
    assert english.json()["detail"] == "The login state has expired; please log in again."
