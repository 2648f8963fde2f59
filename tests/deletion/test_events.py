"""WeChat's privacy events, pushed by the fake WeChat to a live server, signed and encrypted:
each erases what it names, once, and a forged one changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from django_wxlogin import signals
from django_wxlogin.audit import identity_subject
from django_wxlogin.deletion.models import PrivacyRecord
from django_wxlogin.models import WxSession, WxUser

from ..conftest import fresh_code
from ..push.conftest import AES_KEY, APPID, TOKEN, event
from .conftest import client_of, make_person, traces

pytestmark = pytest.mark.django_db(transaction=True)


def push(fake: Any, url: str, message: dict[str, Any], **kwargs: Any) -> Any:
    options = {"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY, **kwargs}
    return fake.push(url, message=message, **options)


@pytest.mark.parametrize(("revoke_info", "gone", "kept"), [
    ("6", {"nickname", "avatar_url", "avatar_file"}, {"phone_number"}),
    ("8", {"phone_number"}, {"nickname", "avatar_url", "avatar_file"}),
    ("6,8", {"nickname", "avatar_url", "avatar_file", "phone_number"}, set()),
    ("201", set(), {"nickname", "avatar_url", "avatar_file", "phone_number"}),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_consent_revoked_erases_what_revokeinfo_names(fake_wechat, push_url, push_settings,
                                                      revoke_info, gone, kept, fmt):
    push_settings["PUSH_FORMAT"] = fmt
    person = make_person("pat")
    before = WxUser.objects.get(openid=person.openid)
    seen = []
    signals.consent_revoked.connect(lambda sender, fields, **kw: seen.append(fields),
                                    dispatch_uid="t_revoked", weak=False)
    try:
        answer = push(fake_wechat, push_url, event("user_authorization_revoke",
                      OpenID=person.openid, AppID=APPID, RevokeInfo=revoke_info), format=fmt)
    finally:
        signals.consent_revoked.disconnect(dispatch_uid="t_revoked")
    assert answer.text == "success"
    after = WxUser.objects.get(openid=person.openid)
    assert all(getattr(after, f) == "" for f in gone)
    assert all(getattr(after, f) == getattr(before, f) != "" for f in kept)
    assert person.avatar_path.exists() == ("avatar_file" in kept)
    named = {"nickname": "nickname", "avatar_url": "avatar", "phone_number": "phone_number"}
    assert seen == [{named[f] for f in gone if f in named}]
    record = PrivacyRecord.objects.get(action="consent_revoked")
    assert record.subject == identity_subject(APPID, person.openid)
    assert person.openid not in record.outcome
    assert client_of(person.token).get("/wx/profile/").status_code == 200  # still logged in


def test_user_info_modified_clears_the_profile(fake_wechat, push_url):
    person = make_person("pat")
    answer = push(fake_wechat, push_url, event("user_info_modified", OpenID=person.openid,
                                               AppID=APPID), mode="compatible")
    assert answer.text == "success"
    wxuser = WxUser.objects.get(openid=person.openid)
    assert (wxuser.nickname, wxuser.avatar_url, wxuser.avatar_file) == ("", "", "")
    assert wxuser.phone_number and not person.avatar_path.exists()


def test_a_closed_wechat_account_is_erased_and_logged_out_at_once(fake_wechat, push_url):
    person = make_person("pat")
    message = event("user_authorization_cancellation", OpenID=person.openid, AppID=APPID)
    assert push(fake_wechat, push_url, message).text == "success"
    assert client_of(person.token).get("/wx/profile/").json()["code"] == "session_expired"
    assert not WxSession.objects.live().filter(user_id=person.user_pk).exists()
    assert traces(person) == []
    # WeChat's retry of it, and a later login of the same openid: a new user.
    assert push(fake_wechat, push_url, message).text == "success"
    assert PrivacyRecord.objects.filter(action="wechat_cancelled").count() == 1
    fresh = client_of().post("/wx/login/", {"code": fresh_code("pat")}, format="json").json()
    assert fresh["user"]["id"] != person.user_pk


def test_a_closed_wechat_account_keeps_a_user_with_a_password(fake_wechat, push_url):
    person = make_person("pat")
    user = WxUser.objects.get(openid=person.openid).user
    user.set_password("still-mine")
    user.save()
    message = event("user_authorization_cancellation", OpenID=person.openid, AppID=APPID)
    assert push(fake_wechat, push_url, message).text == "success"
    user.refresh_from_db()
    assert user.is_active and not WxUser.objects.filter(openid=person.openid).exists()
    assert not WxSession.objects.filter(user=user).exclude(ip_address=None).exists()


def test_forged_and_replayed_events_change_nothing(fake_wechat, push_url):
    person = make_person("pat")
    message = event("user_authorization_cancellation", OpenID=person.openid, AppID=APPID)
    assert push(fake_wechat, push_url, message, token="forgedtoken").status_code == 403
    assert push(fake_wechat, push_url, message, encoding_aes_key=AES_KEY[::-1]).status_code \
        in (400, 403)
    assert push(fake_wechat, push_url, message, timestamp="1500000000").status_code == 403
    assert client_of(person.token).get("/wx/profile/").status_code == 200
    assert not PrivacyRecord.objects.exists()
