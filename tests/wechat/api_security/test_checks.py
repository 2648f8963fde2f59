"""System checks of API_SECURITY: missing, unreadable, malformed, mismatched, expiring."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec

from django_wxlogin.checks import check_settings
from django_wxlogin.wechat.api_security.checks import check_api_security
from django_wxlogin.wechat.fake.api_security import certificate_pem

from ...conftest import BLOG, SHOP


def _ids(settings, config, **wxlogin) -> list[str]:
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": config, **wxlogin}
    return sorted(message.id for message in check_api_security())


def test_good_keys_pass_from_the_settings_files_and_environment(settings, app_keys, tmp_path,
                                                                 monkeypatch):
    assert _ids(settings, app_keys.settings()) == []
    assert _ids(settings, None) == []  # off: nothing to check
    (tmp_path / "key.pem").write_text(app_keys.settings()["PRIVATE_KEY"])
    monkeypatch.setenv("SYMKEY", app_keys.settings()["SYMMETRIC_KEY"])
    assert _ids(settings, {**app_keys.settings(), "SYMMETRIC_KEY": "env:SYMKEY",
                           "PRIVATE_KEY": f"file:{tmp_path / 'key.pem'}"}) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"SYMMETRIC_SN": ""}, "wxlogin.E050"),
    ({"CERTIFICATES": {}}, "wxlogin.E050"),
    ({"CERTIFICATES": ["-----BEGIN CERTIFICATE-----"]}, "wxlogin.E050"),
    ({"SERIAL": "x"}, "wxlogin.E050"),
    ({"PATHS": "/wxa/business/getuserphonenumber"}, "wxlogin.E050"),
    ({"PRIVATE_KEY": ""}, "wxlogin.E050"),
    ({"SYMMETRIC_KEY": "env:WXLOGIN_TEST_UNSET_VARIABLE"}, "wxlogin.E051"),
    ({"PRIVATE_KEY": "file:/nonexistent/app.pem"}, "wxlogin.E051"),
    ({"SYMMETRIC_KEY": base64.b64encode(b"16 bytes only!!!").decode()}, "wxlogin.E052"),
    ({"SYMMETRIC_KEY": "not base64 at all"}, "wxlogin.E052"),
    ({"PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"},
     "wxlogin.E053"),
    ({"CERTIFICATES": {"sn": "not a certificate"}}, "wxlogin.E054"),
])
def test_each_problem_has_its_id(settings, app_keys, change, expected):
    assert _ids(settings, {**app_keys.settings(), **change}) == [expected]


def test_a_key_that_is_not_rsa_is_refused(settings, app_keys):
    from cryptography.hazmat.primitives import serialization
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    assert _ids(settings, {**app_keys.settings(), "PRIVATE_KEY": pem}) == ["wxlogin.E053"]


def test_mismatched_keys(settings, app_keys):
    from cryptography.hazmat.primitives import serialization
    other = app_keys.platform[0][1].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    own = app_keys.app_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert _ids(settings, {**app_keys.settings(), "PUBLIC_KEY": own}) == []
    assert _ids(settings, {**app_keys.settings(), "PUBLIC_KEY": other}) == ["wxlogin.E055"]
    # The app's own certificate where the platform's belongs.
    own_cert = {"sn": certificate_pem(app_keys.app_key)}
    assert _ids(settings, {**app_keys.settings(), "CERTIFICATES": own_cert}) == ["wxlogin.E055"]


def test_expired_and_expiring_certificates(settings, app_keys):
    key = app_keys.platform[0][1]
    with time_machine.travel(datetime.now(timezone.utc) - timedelta(days=400)):
        expired = certificate_pem(key, days=365)
    soon = certificate_pem(key, days=10)
    assert _ids(settings, {**app_keys.settings(), "CERTIFICATES": {"old": expired}}) \
        == ["wxlogin.E056"]
    assert _ids(settings, {**app_keys.settings(), "CERTIFICATES": {"soon": soon}}) \
        == ["wxlogin.W050"]
    # During a rotation both are listed: the expiring one still warns.
    both = {"soon": soon, **app_keys.certificates()}
    assert _ids(settings, {**app_keys.settings(), "CERTIFICATES": both}) == ["wxlogin.W050"]


def test_several_apps_carry_their_own(settings, app_keys):
    apps = [{**SHOP, "API_SECURITY": app_keys.settings()},
            {**BLOG, "API_SECURITY": {**app_keys.settings(), "SYMMETRIC_SN": ""}}]
    base = {k: v for k, v in settings.WXLOGIN.items() if k not in ("APPID", "SECRET")}
    settings.WXLOGIN = {**base, "APPS": apps}
    messages = check_api_security()
    assert [m.id for m in messages] == ["wxlogin.E050"]
    assert BLOG["APPID"] in messages[0].msg
    assert "wxlogin.E012" not in {m.id for m in check_settings()}  # a known key of an app
    settings.WXLOGIN = {**base, "APPS": apps[:1], "API_SECURITY": app_keys.settings()}
    assert [m.id for m in check_api_security()] == ["wxlogin.E057"]


@pytest.mark.parametrize("skew", [0, -1, 601, "60", True])
def test_the_skew_is_bounded(settings, skew):
    assert _ids(settings, None, API_SECURITY_MAX_SKEW=skew) == ["wxlogin.E058"]


def test_no_message_carries_key_material(settings, app_keys):
    config = {**app_keys.settings(), "SYMMETRIC_KEY": base64.b64encode(b"x" * 16).decode()}
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": config}
    text = " ".join(f"{m.msg} {m.hint}" for m in check_api_security())
    assert config["SYMMETRIC_KEY"] not in text and "PRIVATE KEY" not in text
