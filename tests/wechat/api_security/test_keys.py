"""Reading an app's keys: the material, ``env:`` or ``file:``; parsed once per content."""

from __future__ import annotations

import pytest

from django_wxlogin.wechat.api_security import keys

from ..conftest import APPID

PHONE = "/wxa/business/getuserphonenumber"


def test_keys_come_from_the_settings_the_environment_and_files(settings, app_keys, tmp_path,
                                                               monkeypatch):
    (tmp_path / "app.pem").write_text(app_keys.settings()["PRIVATE_KEY"])
    monkeypatch.setenv("SYMKEY", app_keys.settings()["SYMMETRIC_KEY"])
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": {
        **app_keys.settings(), "SYMMETRIC_KEY": "env:SYMKEY",
        "PRIVATE_KEY": f"file:{tmp_path / 'app.pem'}"}}
    loaded = keys.for_call(APPID, PHONE)
    assert loaded is not None
    assert loaded.symmetric_key == app_keys.symmetric_key
    assert loaded.private_key.private_numbers() == app_keys.app_key.private_numbers()
    assert set(loaded.certificates) == {app_keys.platform[0][0]}
    assert loaded.paths == keys.SUPPORTED_PATHS
    assert app_keys.settings()["SYMMETRIC_KEY"] not in repr(loaded)
    assert "PRIVATE" not in repr(loaded)


def test_off_unless_configured(settings):
    assert settings.WXLOGIN.get("API_SECURITY") is None
    assert keys.for_call(APPID, PHONE) is None
    assert keys.for_call("wxnotconfigured", PHONE) is None


def test_parsed_once_per_content_and_a_rotated_file_takes_effect(settings, app_keys, tmp_path):
    path = tmp_path / "platform.pem"
    serial, pem = next(iter(app_keys.certificates().items()))
    path.write_text(pem)
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": {
        **app_keys.settings(), "CERTIFICATES": {serial: f"file:{path}"}}}
    first = keys.for_call(APPID, PHONE)
    assert keys.for_call(APPID, PHONE) is first  # not parsed again
    app_keys_copy = type(app_keys).generate()
    path.write_text(app_keys_copy.certificates()[app_keys_copy.platform[0][0]])
    second = keys.for_call(APPID, PHONE)
    assert second is not first
    assert second.certificates[serial].public_key().public_numbers() \
        == app_keys_copy.platform[0][1].public_key().public_numbers()


def test_paths_can_be_replaced_and_other_paths_read_no_key(settings, app_keys):
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": {
        **app_keys.settings(), "PATHS": [PHONE], "PRIVATE_KEY": "file:/nonexistent.pem"}}
    assert keys.for_call(APPID, "/wxa/msg_sec_check") is None  # the broken key is not read
    with pytest.raises(keys.KeyProblem):
        keys.for_call(APPID, PHONE)


def test_unusable_keys_raise_without_their_material(settings, app_keys):
    settings.WXLOGIN = {**settings.WXLOGIN, "API_SECURITY": {
        **app_keys.settings(), "SYMMETRIC_KEY": "c2hvcnQ="}}
    with pytest.raises(keys.KeyProblem) as raised:
        keys.for_call(APPID, PHONE)
    assert raised.value.kind == "symmetric" and "c2hvcnQ=" not in str(raised.value)
