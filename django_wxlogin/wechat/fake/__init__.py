"""A fake WeChat on loopback, for tests and offline development.

It speaks WeChat's server APIs over real HTTP, one module per surface (``miniprogram.py``: the
mini program's; ``oauth.py``: web and app login's OAuth, with its consent page; ``server.py``:
the HTTP plumbing and routing). What a login code does is
scripted by its text:

=====================  ====================================================================
code                   answer
=====================  ====================================================================
``alice``, ``alice.2``  success for user "alice" (the part before the first dot); the openid
                       depends on the appid and the user, the unionid on the user alone
                       (none for users whose name starts with ``nounion``); every code works
                       once, as on WeChat, and answers errcode 40163 after that
``err.<errcode>``      that errcode, e.g. ``err.40029``, ``err.45011``, ``err.-1``
``slow.<seconds>``     success for user "slow" after that many seconds
``http.<status>``      that HTTP status with an HTML body
``garbage``            HTTP 200 with a body that is not JSON
``nokey``              HTTP 200 JSON without ``session_key``
=====================  ====================================================================

Access tokens come from ``GET /cgi-bin/token`` (each call leaves the app's earlier classic
tokens five more minutes, as WeChat does) and ``POST /cgi-bin/stable_token`` (the same token
until it expires, unless ``force_refresh``); both live ``access_token_ttl`` seconds (7200).
``expire_access_tokens()`` voids them all at once: the next call with one answers 40001.
The APIs that take one answer 41001 without it, 40001 for an unknown one, 42001 for an
expired one.

``POST /wxa/business/getuserphonenumber`` takes scripted codes, each once (then 40029):

=====================  ====================================================================
``phone.<digits>``     that mainland number, ``countryCode`` 86 as a JSON number (as WeChat
                       sometimes sends it), e.g. ``phone.13800138000``
``err.<errcode>``      that errcode, e.g. ``err.40029``, ``err.45011``, ``err.-1``
anything else          40029
=====================  ====================================================================

``GET /wxa/checksession`` answers 0 when ``signature`` is hmac_sha256(session_key, "") of the
session_key the openid's latest login got, else 87009 (40003 for an openid never seen).

``POST /wxa/msg_sec_check`` and ``POST /wxa/media_check_async`` (content security v2) are
scripted by the text and by the image's top-left pixel: see ``content_security.py``.
``POST /wxa/getwxacodeunlimit`` draws a real QR code of the page and scene (``wxacode.py``
says what it encodes and which errors it scripts).

``fake.requests`` (or ``fake.calls(path)``) is the log of every call, without secrets, codes or
access tokens. ``encrypted_data_for`` encrypts data for a login code's session_key, as the mini
program receives it from WeChat.

``api_security={appid: FakeAppSecurity.generate()}`` turns on server-API security for those
apps: protected calls must come encrypted and signed, their answers go back so (``api_security.py``
lists its errcodes and the faults ``fake.api_security_fault`` scripts); on the command line,
``--api-security APPID --keys-dir DIR`` writes new keys to DIR and prints the app's settings.

``fake.push(url, appid=, message=, token=, encoding_aes_key=, format=, mode=)`` pushes a
message to a receiver as WeChat does (see ``push.py``).

Run it on its own with ``python -m django_wxlogin.wechat.fake --port 8090 --app APPID:SECRET``;
``python -m django_wxlogin.wechat.fake encrypt --appid APPID --code CODE '{"k": "v"}'`` prints
a ``{"encrypted_data", "iv"}`` body for ``POST decrypt/``.
"""

from __future__ import annotations

from typing import Any

from .api_security import ApiSecurityAPI, FakeAppSecurity
from .content_security import ContentSecurityAPI
from .miniprogram import (
    MiniProgramAPI,
    encrypt,
    encrypted_data_for,
    openid_for,
    session_key_for,
    unionid_for,
)
from .oauth import OAuthAPI
from .push import PushAPI
from .server import FakeRequest, FakeServer, Reply, answer
from .wxacode import WxaCodeAPI, code_text

__all__ = ["FakeAppSecurity", "FakeRequest", "FakeWeChat", "Reply", "answer", "code_text",
           "encrypt", "encrypted_data_for", "openid_for", "session_key_for", "unionid_for"]


class FakeWeChat(ApiSecurityAPI, ContentSecurityAPI, OAuthAPI, WxaCodeAPI, MiniProgramAPI,
                 PushAPI, FakeServer):
    """``with FakeWeChat(apps={"wx123": "secret"}) as fake: fake.url`` (apps=None: any app).

    Each surface is a mixin that declares its ``ROUTES``; its ``__init__`` takes its own
    keyword arguments and passes the rest on."""

    def __init__(self, apps: dict[str, str] | None = None, host: str = "127.0.0.1",
                 port: int = 0, access_token_ttl: int = 7200, **kwargs: Any) -> None:
        super().__init__(apps=apps, host=host, port=port, access_token_ttl=access_token_ttl,
                         **kwargs)
