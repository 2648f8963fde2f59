"""An app's API-security keys, read from ``API_SECURITY`` (see ``settings.py``).

Each secret is given as the material itself, ``"env:NAME"`` (an environment variable) or
``"file:/path"`` (a file), so that no key need be written into settings. The material is read
when used, and parsed once per distinct content per process: a rotated file or variable takes
effect without a restart. Nothing here logs or reprs a key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from ...settings import WxApp, wxlogin_settings

# The APIs of this package and its features that WeChat accepts signed and encrypted (each
# API's page says whether it supports 安全鉴权模式); an app's "PATHS" replaces the list.
SUPPORTED_PATHS = frozenset({
    "/wxa/business/getuserphonenumber",  # phone numbers
    "/wxa/getwxacodeunlimit",  # the mini-program code of scan login
    "/wxa/msg_sec_check",  # content checks
    "/wxa/media_check_async",
    "/wxa/getuserriskrank",  # the guide's own example
})
REQUIRED = ("SYMMETRIC_KEY", "SYMMETRIC_SN", "PRIVATE_KEY", "CERTIFICATES")
OPTIONAL = ("PUBLIC_KEY", "PATHS")
_CACHE_MAX = 64


class KeyProblem(ValueError):
    """A key or certificate that is missing, unreadable or not what it should be (the message
    names the setting, never the material). ``kind``: ``config``, ``unreadable``,
    ``symmetric``, ``private``, ``public`` or ``certificate``."""

    def __init__(self, message: str, kind: str = "config") -> None:
        super().__init__(message)
        self.kind = kind


def read(value: Any, label: str) -> bytes:
    """The material a setting names: itself, ``env:NAME`` or ``file:/path``."""
    if not isinstance(value, str) or not value:
        raise KeyProblem(f"{label} is not set")
    if value.startswith("env:"):
        material = os.environ.get(value[4:])
        if not material:
            raise KeyProblem(f"{label}: environment variable {value[4:]} is not set",
                             "unreadable")
        return material.encode()
    if value.startswith("file:"):
        try:
            return Path(value[5:]).read_bytes()
        except OSError as exc:
            raise KeyProblem(f"{label}: cannot read {value[5:]} ({type(exc).__name__})",
                             "unreadable") from None
    return value.encode()


@dataclass(frozen=True)
class AppKeys:
    """One app's parsed keys: the symmetric key, the app's private key and the platform's
    certificates by their console serial (编号, not the certificate's own serial number)."""

    appid: str
    symmetric_sn: str
    symmetric_key: bytes = field(repr=False)
    private_key: rsa.RSAPrivateKey = field(repr=False)
    certificates: Mapping[str, x509.Certificate] = field(repr=False)
    paths: frozenset[str]
    public_key: rsa.RSAPublicKey | None = field(default=None, repr=False)


def symmetric_key(material: bytes, label: str) -> bytes:
    try:
        key = base64.b64decode(material.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem(f"{label} is not base64", "symmetric") from None
    if len(key) != 32:
        raise KeyProblem(f"{label} is not 32 bytes (AES-256) once base64-decoded", "symmetric")
    return key


def private_key(material: bytes, label: str) -> rsa.RSAPrivateKey:
    try:
        key = load_pem_private_key(material, password=None)
    except (ValueError, TypeError):
        raise KeyProblem(f"{label} is not an unencrypted PEM private key", "private") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyProblem(f"{label} is not an RSA key (only RSAwithSHA256 is supported)", "private")
    return key


def public_key(material: bytes, label: str) -> rsa.RSAPublicKey:
    try:
        key = load_pem_public_key(material)
    except (ValueError, TypeError):
        raise KeyProblem(f"{label} is not a PEM public key", "public") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyProblem(f"{label} is not an RSA key", "public")
    return key


def certificate(material: bytes, label: str) -> x509.Certificate:
    try:
        cert = x509.load_pem_x509_certificate(material)
    except ValueError:
        raise KeyProblem(f"{label} is not a PEM certificate", "certificate") from None
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise KeyProblem(f"{label} does not hold an RSA key", "certificate")
    return cert


def materials(appid: str, config: Any, label: str) -> dict[str, Any]:
    """Every piece of material ``config`` names, read (:class:`KeyProblem` when malformed)."""
    if not isinstance(config, Mapping):
        raise KeyProblem(f"{label} must be a dict")
    unknown = sorted(map(str, set(config) - set(REQUIRED) - set(OPTIONAL)))
    if unknown:
        raise KeyProblem(f"{label} has unknown keys: {', '.join(unknown)}")
    sn = config.get("SYMMETRIC_SN")
    if not isinstance(sn, str) or not sn:
        raise KeyProblem(f"{label}['SYMMETRIC_SN'] is not set")
    certificates = config.get("CERTIFICATES")
    if not isinstance(certificates, Mapping) or not certificates \
            or not all(isinstance(s, str) and s for s in certificates):
        raise KeyProblem(f"{label}['CERTIFICATES'] must map each platform certificate's serial "
                        "(编号) to the certificate")
    paths = config.get("PATHS", SUPPORTED_PATHS)
    if isinstance(paths, str) or not all(isinstance(p, str) and p.startswith("/")
                                         for p in paths):
        raise KeyProblem(f"{label}['PATHS'] must be a list of API paths such as "
                        "\"/wxa/business/getuserphonenumber\"")
    found = {
        "appid": appid, "symmetric_sn": sn, "paths": frozenset(paths),
        "symmetric_key": read(config.get("SYMMETRIC_KEY"), f"{label}['SYMMETRIC_KEY']"),
        "private_key": read(config.get("PRIVATE_KEY"), f"{label}['PRIVATE_KEY']"),
        "certificates": {s: read(c, f"{label}['CERTIFICATES'][{s!r}]")
                         for s, c in certificates.items()},
    }
    if config.get("PUBLIC_KEY"):
        found["public_key"] = read(config["PUBLIC_KEY"], f"{label}['PUBLIC_KEY']")
    return found


def parse(found: dict[str, Any], label: str) -> AppKeys:
    public = found.get("public_key")
    return AppKeys(
        appid=found["appid"], symmetric_sn=found["symmetric_sn"], paths=found["paths"],
        symmetric_key=symmetric_key(found["symmetric_key"], f"{label}['SYMMETRIC_KEY']"),
        private_key=private_key(found["private_key"], f"{label}['PRIVATE_KEY']"),
        certificates={s: certificate(c, f"{label}['CERTIFICATES'][{s!r}]")
                      for s, c in found["certificates"].items()},
        public_key=public_key(public, f"{label}['PUBLIC_KEY']") if public else None,
    )


def label_of(app: WxApp) -> str:
    if wxlogin_settings.get("APPS"):
        return f"WXLOGIN['APPS'][appid {app.appid}]['API_SECURITY']"
    return "WXLOGIN['API_SECURITY']"


_parsed: dict[bytes, AppKeys] = {}
_parsed_lock = threading.Lock()


def load(app: WxApp) -> AppKeys | None:
    """``app``'s keys, or None when API security is off for it (:class:`KeyProblem` when they
    are configured but unusable: the system checks say so at start-up)."""
    if app.api_security is None:
        return None
    label = label_of(app)
    found = materials(app.appid, app.api_security, label)
    canonical = {**found, "paths": sorted(found["paths"]),
                 "certificates": sorted(found["certificates"].items())}
    digest = hashlib.sha256(repr(sorted(canonical.items())).encode()).digest()
    with _parsed_lock:
        keys = _parsed.get(digest)
    if keys is None:
        keys = parse(found, label)
        with _parsed_lock:
            if len(_parsed) >= _CACHE_MAX:
                _parsed.clear()
            _parsed[digest] = keys
    return keys


def for_call(appid: str, path: str) -> AppKeys | None:
    """The keys that seal a call of the configured app ``appid`` to ``path``, or None (off, not
    a configured app, or a path it does not protect: then no key is even read)."""
    for app in wxlogin_settings.apps:
        if app.appid == appid:
            config = app.api_security
            paths = config.get("PATHS", SUPPORTED_PATHS) if isinstance(config, Mapping) \
                else SUPPORTED_PATHS
            return load(app) if config is not None and path in paths else None
    return None
