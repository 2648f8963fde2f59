"""Apply WeChat's daily e-mailed list of privacy events (since 2024-06-25), as the message
push would have: one line per person, ``openid[,event[,RevokeInfo]]`` (CSV; the event defaults
to ``user_authorization_revoke``, its RevokeInfo to "6,8": nickname, avatar and phone
number). Lines starting with "#" and a header line are skipped."""

from __future__ import annotations

import csv
import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exceptions import UnknownApp
from ...push.dispatch import PushMessage, dispatch
from ...settings import wxlogin_settings
from ..base import plural

EVENTS = ("user_authorization_revoke", "user_authorization_cancellation", "user_info_modified")
_OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Command(BaseCommand):
    help = ("Apply WeChat's daily list of withdrawn consents and closed WeChat accounts: "
            "a CSV file of openid[,event[,RevokeInfo]] lines, for one mini program.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the list, or - for standard input")
        parser.add_argument("--app", help="the mini program's NAME or APPID (needed with "
                                          "several)")
        parser.add_argument("--dry-run", action="store_true",
                            help="only check the list and count its lines")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            app = wxlogin_settings.app(options["app"])
        except UnknownApp:
            raise CommandError("Name the mini program with --app (its NAME or APPID).") from None
        lines = self._read(options["file"])
        if options["dry_run"]:
            self.stdout.write(f"Would apply {plural(len(lines), 'event')}.")
            return
        for openid, event, revoke_info in lines:
            data = {"MsgType": "event", "Event": event, "OpenID": openid, "AppID": app.appid,
                    "RevokeInfo": revoke_info, "Source": "daily list"}
            dispatch(PushMessage.from_data(app, data))
        self.stdout.write(f"Applied {plural(len(lines), 'event')}.")

    def _read(self, name: str) -> list[tuple[str, str, str]]:
        try:
            source = sys.stdin if name == "-" else open(name, newline="", encoding="utf-8-sig")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror}") from None
        found = []
        with source:
            for number, row in enumerate(csv.reader(source), 1):
                cells = [c.strip() for c in row]
                if not cells or not cells[0] or cells[0].startswith("#") or \
                        (number == 1 and cells[0].lower() == "openid"):
                    continue
                openid, event, revoke_info = [*cells, "", ""][:3]
                event = event or EVENTS[0]
                if not _OPENID.fullmatch(openid) or event not in EVENTS:
                    raise CommandError(f"Line {number} is not openid[,event[,RevokeInfo]] with "
                                       f"one of {', '.join(EVENTS)}.")
                found.append((openid, event, revoke_info or "6,8"))
        return found
