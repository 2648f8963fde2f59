"""List sessions for operators (a table) and scripts (``--json``), streamed in bounded memory.

Only the first characters of a token digest are ever printed, and no character a client chose
(a user agent, a username) reaches the terminal unescaped.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import OuterRef, Subquery

from ...audit import clean
from ...models import WxUser
from ..base import SessionCommand, local_minute

COLUMNS = (("ID", 8), ("DIGEST", 9), ("USER", 28), ("OPENID", 30), ("APPID", 20),
           ("METHOD", 8), ("CREATED", 16), ("EXPIRES", 16), ("LAST SEEN", 16), ("IP", 15),
           ("USER AGENT", 0))
USER_AGENT_SHOWN = 60


def _json(data: dict[str, Any]) -> str:
    """One JSON object on one line: Chinese as it is, every character that is not printable as
    a JSON escape (json.dumps leaves DEL, C1 controls and bidi overrides raw)."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)


class Command(SessionCommand):
    help = ("List live sessions, newest first (or with --expired, the dead ones not yet marked "
            "revoked), optionally of the users named by --openid, --unionid or --user.")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--json", action="store_true",
                            help="print a JSON array of objects instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        openid = WxUser.objects.filter(user=OuterRef("user"), appid=OuterRef("appid"))
        sessions = (self.sessions(options).select_related("user").order_by("-pk")
                    .annotate(openid=Subquery(openid.values("openid")[:1]))
                    .iterator(chunk_size=2000))
        if options["json"]:
            self._json(sessions)
        else:
            self._table(sessions)

    def _json(self, sessions: Any) -> None:
        separator = "\n"
        self.stdout.write("[", ending="")
        for session in sessions:
            self.stdout.write(separator + _json({
                "id": session.pk,
                "digest_prefix": session.digest_prefix,
                "user_id": session.user_id,
                "username": session.user.get_username(),
                "openid": session.openid,
                "appid": session.appid,
                "method": session.method,
                "surface": session.surface,
                "created_at": session.created_at,
                "expires_at": session.expires_at,
                "last_seen_at": session.last_seen_at,
                "ip_address": session.ip_address,
                "user_agent": session.user_agent,
            }), ending="")
            separator = ",\n"
        self.stdout.write("\n]")

    def _table(self, sessions: Any) -> None:
        shown = 0
        for session in sessions:
            if not shown:
                self._row([title for title, _ in COLUMNS])
            self._row([
                str(session.pk), f"{session.digest_prefix}…", session.user.get_username(),
                session.openid or "-", session.appid or "-", session.method,
                local_minute(session.created_at), local_minute(session.expires_at),
                local_minute(session.last_seen_at),
                session.ip_address or "-", session.user_agent[:USER_AGENT_SHOWN] or "-",
            ])
            shown += 1
        if not shown:
            self.stdout.write("No sessions.")

    def _row(self, values: list[str]) -> None:
        self.stdout.write("  ".join(
            clean(value).ljust(width) for value, (_, width) in zip(values, COLUMNS, strict=True)
        ).rstrip())
