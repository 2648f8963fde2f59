"""``python -m django_wxlogin.wechat.fake``: serve the fake WeChat, or encrypt a payload."""

from __future__ import annotations

import argparse
import contextlib
import json

from . import FakeWeChat, encrypted_data_for


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake WeChat server API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--app", action="append", default=[], metavar="APPID:SECRET",
                        help="accept only these apps (default: any)")
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
    fake = FakeWeChat(apps, args.host, args.port)
    print(f"Fake WeChat on {fake.url} (Ctrl-C stops it)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_forever()


if __name__ == "__main__":
    main()
