"""session_key encryption at rest, and rotation through SECRET_KEY_FALLBACKS."""

import pytest
from django.db import connection

from django_wxlogin.crypto import decrypt, encrypt
from django_wxlogin.models import WxUser
from django_wxlogin.wechat.fake import session_key_for

from .conftest import fresh_code

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"


def _raw_session_key() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_key FROM django_wxlogin_wxuser")
        return cursor.fetchone()[0]


def test_the_session_key_is_encrypted_in_the_database(api):
    code = fresh_code("olga")
    api.post("/wx/login/", {"code": code}, format="json")
    plain = session_key_for(APPID, code)
    assert WxUser.objects.get().session_key == plain
    raw = _raw_session_key()
    assert plain not in raw and raw.startswith("gAAAAA")  # Fernet


def test_rotating_secret_key_keeps_stored_keys_readable(api, settings):
    code = fresh_code("pete")
    api.post("/wx/login/", {"code": code}, format="json")
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-brand-new-secret-key", [old]
    assert WxUser.objects.get().session_key == session_key_for(APPID, code)
    settings.SECRET_KEY_FALLBACKS = []
    assert WxUser.objects.get().session_key is None  # unreadable, not an error


def test_encrypt_is_randomised():
    assert encrypt("k") != encrypt("k") and decrypt(encrypt("k")) == "k"
