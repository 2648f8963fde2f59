"""``python -m django_wxlogin.wechat.fake``: serve the fake WeChat, or encrypt a payload."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import Any

from . import FakeAppSecurity, FakeWeChat, encrypted_data_for


def api_security_keys(appid: str, directory: Path) -> tuple[FakeAppSecurity, dict[str, Any]]:
    """New keys for ``appid``: the fake's side, and the app's ``API_SECURITY`` (the private key,
    symmetric key and platform certificate written as files into ``directory``)."""
    keys = FakeAppSecurity.generate()
    directory.mkdir(parents=True, exist_ok=True)
    material = keys.settings()
    files = {"SYMMETRIC_KEY": f"{appid}-symmetric.key", "PRIVATE_KEY": f"{appid}-private.pem"}
    for name, file_name in files.items():
        (directory / file_name).write_text(material[name])
        (directory / file_name).chmod(0o600)
    certificates = {}
    for serial, pem in material["CERTIFICATES"].items():
        (directory / f"{appid}-platform-{serial}.pem").write_text(pem)
        certificates[serial] = f"file:{directory / f'{appid}-platform-{serial}.pem'}"
    return keys, {"SYMMETRIC_KEY": f"file:{directory / files['SYMMETRIC_KEY']}",
                  "SYMMETRIC_SN": keys.symmetric_sn,
                  "PRIVATE_KEY": f"file:{directory / files['PRIVATE_KEY']}",
                  "CERTIFICATES": certificates}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake WeChat server API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--app", action="append", default=[], metavar="APPID:SECRET",
                        help="accept only these apps (default: any)")
    parser.add_argument("--api-security", action="append", default=[], metavar="APPID",
                        help="enforce server-API security for this app, with new keys written "
                             "to --keys-dir; prints the app's API_SECURITY as JSON")
    parser.add_argument("--keys-dir", type=Path, default=Path("wxlogin-fake-keys"))
    commands = parser.add_subparsers(dest="command")
    encrypt_command = commands.add_parser(
        "encrypt", help="print a POST decrypt/ body for a login code's session_key")
    encrypt_command.add_argument("--appid", required=True)
    encrypt_command.add_argument("--code", required=True, help="the login code used")
    encrypt_command.add_argument("data", help="a JSON object, e.g. a phone number payload")
    args = parser.parse_args(argv)
    if args.command == "encrypt":
        print(json.dumps(encrypted_data_for(args.appid, args.code, json.loads(args.data))))
        return
    apps = dict(a.split(":", 1) for a in args.app) or None
    security = {}
    for appid in args.api_security:
        security[appid], settings = api_security_keys(appid, args.keys_dir)
        print(f"API_SECURITY of {appid}: {json.dumps(settings)}", flush=True)
    fake = FakeWeChat(apps, args.host, args.port, api_security=security)
    print(f"Fake WeChat on {fake.url} (Ctrl-C stops it)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_forever()


if __name__ == "__main__":
    main()
