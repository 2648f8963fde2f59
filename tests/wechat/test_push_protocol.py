"""The message push's protocol, against the worked example of WeChat's own sample code."""

from __future__ import annotations

import hashlib

import pytest

from django_wxlogin.wechat import push_protocol

from ..push.conftest import AES_KEY


def test_signature_is_sha1_of_the_sorted_parts():
    # sha1("1409304348" + "testtoken" + "xxxxxx"), sorted as strings
    assert push_protocol.signature("testtoken", "1409304348", "xxxxxx") == \
        hashlib.sha1(b"1409304348testtokenxxxxxx").hexdigest()
    assert push_protocol.signature_matches(
        push_protocol.signature("a", "b", "c").upper(), "c", "b", "a")
    assert not push_protocol.signature_matches("é" * 40, "a", "b", "c")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_round_trip(fmt):
    message = {"ToUserName": "gh_x", "Event": "user_info_modified", "OpenID": "o昵称"}
    envelope = push_protocol.encrypt(AES_KEY, "wxapp", push_protocol.dumps(message, fmt))
    plain, appid = push_protocol.decrypt(AES_KEY, envelope)
    assert appid == "wxapp"
    assert push_protocol.loads(plain, fmt) == message
    assert len(push_protocol.aes_key(AES_KEY)) == 32


@pytest.mark.parametrize("envelope", ["", "not base64!", "AAAA", "A" * 44])
def test_every_bad_envelope_fails_the_same(envelope):
    with pytest.raises(push_protocol.PushFormatError, match="does not decrypt"):
        push_protocol.decrypt(AES_KEY, envelope)


@pytest.mark.parametrize("raw", [
    b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><A>&a;</A></xml>',  # no DTD, no entities
    b"<other/>", b"<xml><A>", b"\xff",
])
def test_hostile_xml_is_refused(raw):
    with pytest.raises(push_protocol.PushFormatError):
        push_protocol.loads(raw, "xml")
