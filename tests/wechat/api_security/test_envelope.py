"""Known answers: the worked examples of WeChat's own guide (``vectors.py``), byte for byte."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from django_wxlogin.wechat.api_security import envelope

from . import vectors as v

KEY = base64.b64decode(v.SYM_KEY)
PRIVATE = load_pem_private_key(v.PRIVATE_KEY.encode(), None)
PLATFORM = x509.load_pem_x509_certificate(v.CERTIFICATE.encode()).public_key()


def test_the_request_is_encrypted_exactly_as_the_guide_shows():
    plaintext = envelope.plaintext(v.REQUEST_FIELDS, v.APPID, v.REQUEST_TIMESTAMP,
                                   n=v.REQUEST_NONCE)
    body = envelope.seal(KEY, envelope.aad(v.URLPATH, v.APPID, v.REQUEST_TIMESTAMP, v.SYM_SN),
                         plaintext, iv=base64.b64decode(v.REQUEST_IV))
    assert body == v.REQUEST_BODY
    assert len(body) == 324  # "原postdata总长度324"


def test_the_guides_request_signature_verifies_over_its_signed_text():
    signed = envelope.signed_text(v.URLPATH, v.APPID, v.REQUEST_TIMESTAMP, v.REQUEST_BODY)
    assert signed.startswith(b"https://api.weixin.qq.com/wxa/getuserriskrank\nwxba6223c06417af7b"
                             b"\n1635927954\n{\"iv\"") and not signed.endswith(b"\n")
    assert envelope.verify(PRIVATE.public_key(), signed, v.REQUEST_SIGNATURE)
    assert not envelope.verify(PRIVATE.public_key(), signed + b" ", v.REQUEST_SIGNATURE)
    # The serial of the app's key is not part of what is signed (a library that added it broke
    # every call).
    with_serial = envelope.signed_text(v.URLPATH, v.APPID, v.REQUEST_TIMESTAMP,
                                       v.RSA_SN.encode() + b"\n" + v.REQUEST_BODY)
    assert not envelope.verify(PRIVATE.public_key(), with_serial, v.REQUEST_SIGNATURE)


def test_our_signature_is_pss_with_a_32_byte_salt_and_verifies_like_the_guides():
    signed = envelope.signed_text(v.URLPATH, v.APPID, v.REQUEST_TIMESTAMP, v.REQUEST_BODY)
    signature = envelope.sign(PRIVATE, signed)
    assert signature != envelope.sign(PRIVATE, signed)  # PSS is randomised
    PRIVATE.public_key().verify(  # raises unless the salt is exactly 32 bytes
        base64.b64decode(signature), signed,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())


def test_the_guides_answer_verifies_against_its_platform_certificate():
    signed = envelope.signed_text(v.URLPATH, v.APPID, v.RESPONSE_TIMESTAMP, v.RESPONSE_BODY)
    assert hashlib.sha256(signed).hexdigest() == v.RESPONSE_SIGNED_HASH
    assert envelope.verify(PLATFORM, signed, v.RESPONSE_HEADERS["Wechatmp-Signature"])
    # The deprecated signature is another certificate's: this one must not accept it.
    assert not envelope.verify(PLATFORM, signed,
                               v.RESPONSE_HEADERS["Wechatmp-Signature-Deprecated"])
    other_time = envelope.signed_text(v.URLPATH, v.APPID, v.REQUEST_TIMESTAMP, v.RESPONSE_BODY)
    assert not envelope.verify(PLATFORM, other_time, v.RESPONSE_HEADERS["Wechatmp-Signature"])


def test_the_guides_answer_decrypts_with_its_own_timestamp_only():
    opened = envelope.open_envelope(
        KEY, envelope.aad(v.URLPATH, v.APPID, v.RESPONSE_TIMESTAMP, v.SYM_SN), v.RESPONSE_BODY)
    assert opened == v.RESPONSE_PLAINTEXT
    assert json.loads(opened)["risk_rank"] == 0
    with pytest.raises(envelope.EnvelopeError):  # the request's timestamp is not the answer's
        envelope.open_envelope(
            KEY, envelope.aad(v.URLPATH, v.APPID, v.REQUEST_TIMESTAMP, v.SYM_SN), v.RESPONSE_BODY)


@pytest.mark.parametrize("body", [
    b"not json", b"{}", b'{"iv":"!!","data":"","authtag":""}',
    b'{"iv":"AAAA","data":"","authtag":"AAAAAAAAAAAAAAAAAAAAAA=="}',  # a 3-byte IV
    v.RESPONSE_BODY.replace(b'"z2BF', b'"z3BF'),  # another tag
])
def test_anything_else_is_an_envelope_error(body):
    with pytest.raises(envelope.EnvelopeError):
        envelope.open_envelope(
            KEY, envelope.aad(v.URLPATH, v.APPID, v.RESPONSE_TIMESTAMP, v.SYM_SN), body)


def test_nonces_are_random_base64_of_16_to_32_bytes():
    nonces = {envelope.nonce() for _ in range(50)}
    assert len(nonces) == 50
    assert all(16 <= len(base64.b64decode(n + "=" * (-len(n) % 4))) <= 32 for n in nonces)


def test_a_call_cannot_overwrite_the_security_fields():
    plaintext = json.loads(envelope.plaintext({"_appid": "wxevil", "code": "c"}, v.APPID, 1))
    assert plaintext["_appid"] == v.APPID and plaintext["code"] == "c"
