"""System checks of server-API security (``wxlogin.E050``-``E059``, ``wxlogin.W050``-``W059``):
a missing, unreadable, malformed, mismatched, expired or expiring key or certificate is
reported at start-up rather than on a user's first phone number."""

from __future__ import annotations

import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.checks import Error, Tags, Warning, register

from ...settings import wxlogin_settings
from . import keys

EXPIRY_WARNING = datetime.timedelta(days=30)
CONSOLE = "the console's API security page (开发管理 -> 开发设置 -> API安全)"
CERTIFICATE_HINT = (f"Download the platform certificate (平台证书) from {CONSOLE}; its serial is "
                    "the 编号 shown there.")


def _error(problem: keys.KeyProblem) -> Error:
    """The check of one unusable key (its message names the setting, never the material)."""
    message, kind = str(problem) + ".", problem.kind
    if kind == "unreadable":
        return Error(message, hint="Give the material itself, \"env:NAME\" or \"file:/path\", "
                     "readable by every worker.", id="wxlogin.E051")
    if kind == "symmetric":
        return Error(message, hint=f"The API对称密钥 (AES256_GCM) of {CONSOLE}: 32 bytes, "
                     "base64.", id="wxlogin.E052")
    if kind in ("private", "public"):
        return Error(message, hint=f"The API非对称密钥 (RSAwithSHA256) of {CONSOLE}, in PEM, "
                     "unencrypted.", id="wxlogin.E053")
    if kind == "certificate":
        return Error(message, hint=CERTIFICATE_HINT, id="wxlogin.E054")
    return Error(message, hint="SYMMETRIC_KEY, SYMMETRIC_SN, PRIVATE_KEY and CERTIFICATES "
                 "({serial: certificate}) are required; PUBLIC_KEY and PATHS are optional.",
                 id="wxlogin.E050")



def _public_bytes(key: Any) -> bytes:
    return bytes(key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo))


def _check_app(app: Any, now: datetime.datetime) -> list[Any]:
    label = keys.label_of(app)
    try:
        found = keys.materials(app.appid, app.api_security, label)
    except keys.KeyProblem as exc:
        return [_error(exc)]
    messages: list[Any] = []

    def parsed(parse: Any, material: bytes, what: str) -> Any:
        try:
            return parse(material, f"{label}{what}")
        except keys.KeyProblem as exc:
            messages.append(_error(exc))
            return None

    parsed(keys.symmetric_key, found["symmetric_key"], "['SYMMETRIC_KEY']")
    private = parsed(keys.private_key, found["private_key"], "['PRIVATE_KEY']")
    public = parsed(keys.public_key, found["public_key"], "['PUBLIC_KEY']") \
        if "public_key" in found else None
    if private is not None and public is not None \
            and _public_bytes(private.public_key()) != _public_bytes(public):
        messages.append(Error(f"{label}['PUBLIC_KEY'] is not the public half of PRIVATE_KEY.",
                              hint="WeChat verifies requests with the public key uploaded to the "
                                   "console: use the private key of that pair.",
                              id="wxlogin.E055"))
    for serial, material in found["certificates"].items():
        cert = parsed(keys.certificate, material, f"['CERTIFICATES'][{serial!r}]")
        if cert is None:
            continue
        where = f"{label}['CERTIFICATES'][{serial!r}]"
        if private is not None and _public_bytes(cert.public_key()) == \
                _public_bytes(private.public_key()):
            messages.append(Error(f"{where} holds the app's own public key, not the platform's.",
                                  hint=CERTIFICATE_HINT, id="wxlogin.E055"))
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            messages.append(Error(f"{where} is not valid now (valid from "
                                  f"{cert.not_valid_before_utc:%Y-%m-%d} to "
                                  f"{cert.not_valid_after_utc:%Y-%m-%d}).",
                                  hint=CERTIFICATE_HINT, id="wxlogin.E056"))
        elif cert.not_valid_after_utc - now < EXPIRY_WARNING:
            messages.append(Warning(f"{where} expires on {cert.not_valid_after_utc:%Y-%m-%d}.",
                                    hint="Download the new platform certificate and add it next "
                                         "to this one (answers name the serial they use).",
                                    id="wxlogin.W050"))
    return messages


@register(Tags.security)
def check_api_security(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    user = wxlogin_settings.user_settings
    if not isinstance(user, dict):
        return []  # wxlogin.E000
    messages: list[Any] = []
    if user.get("APPS") and user.get("API_SECURITY") is not None:
        messages.append(Error("WXLOGIN sets API_SECURITY next to APPS.",
                              hint="Give each app in APPS its own \"API_SECURITY\".",
                              id="wxlogin.E057"))
    skew = wxlogin_settings.API_SECURITY_MAX_SKEW
    if isinstance(skew, bool) or not isinstance(skew, int | float) or not 1 <= skew <= 600:
        messages.append(Error("WXLOGIN['API_SECURITY_MAX_SKEW'] must be 1 to 600 seconds.",
                              id="wxlogin.E058"))
    try:
        apps = wxlogin_settings.apps
    except (AttributeError, TypeError):
        return messages  # malformed APPS: wxlogin.E007
    now = datetime.datetime.now(datetime.timezone.utc)
    for app in apps:
        if app.api_security is not None:
            messages.extend(_check_app(app, now))
    return messages
