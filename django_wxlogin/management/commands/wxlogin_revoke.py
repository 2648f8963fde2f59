"""Revoke sessions from the shell, as final as a logout: the database, then the cache."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db.models import Count

from ...models import RevokeReason
from ...sessions import outbox
from ...sessions.revocation import revoke_batched
from ...settings import wxlogin_settings
from ..base import SessionCommand, add_batch_size_argument, plural, progress_bar

EXIT_CACHE_NOT_REACHED = 2


class Command(SessionCommand):
    help = ("Revoke the live sessions of the users named by --openid, --unionid or --user, of "
            "everyone (--all, asks first), or mark the expired ones revoked (--expired).")
    stealth_options = ("stdin",)  # call_command(..., stdin=...) answers the confirmation

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--all", action="store_true",
                            help="every user's sessions: everyone must log in again")
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive",
                            help="do not ask before --all")
        add_batch_size_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"] and self.names_users(options):
            raise CommandError("--all cannot be combined with --openid, --unionid or --user.")
        if not (options["all"] or options["expired"] or self.names_users(options)):
            raise CommandError("Name the sessions to revoke: --openid, --unionid, --user, "
                               "--all or --expired.")
        sessions = self.sessions(options)
        found = sessions.aggregate(sessions=Count("pk"), users=Count("user", distinct=True))
        if options["all"] and options["interactive"] and found["sessions"]:
            self._confirm(found, options.get("stdin") or sys.stdin)
        undelivered = outbox.undelivered()
        with progress_bar(self, found["sessions"]) as bar:
            revoked = revoke_batched(sessions, RevokeReason.COMMAND,
                                           batch_size=options["batch_size"],
                                           progress=bar.update)
        self.stdout.write(f"Revoked {plural(revoked, 'session')} "
                          f"of {plural(found['users'], 'user')}.")
        if outbox.undelivered() > undelivered:
            raise CommandError(
                "Not applied to the servers' cache at once: this process's cache "
                f"({self._cache_backend()}) is per process or could not be reached. The "
                "sessions are revoked in the database and the revocation is recorded there: "
                "running servers refuse them within REVOCATION_SYNC_INTERVAL "
                f"({wxlogin_settings.REVOCATION_SYNC_INTERVAL} s). Run this where CACHES "
                "(REDIS_URL) names the servers' Redis for it to take effect at once.",
                returncode=EXIT_CACHE_NOT_REACHED)

    @staticmethod
    def _cache_backend() -> str:
        alias = wxlogin_settings.CACHE_ALIAS
        return str(settings.CACHES.get(alias, {}).get("BACKEND", f"no cache {alias!r}"))

    def _confirm(self, found: dict[str, int], stdin: TextIO) -> None:
        self.stdout.write(
            f"This revokes {plural(found['sessions'], 'session')} of "
            f"{plural(found['users'], 'user')}; they must all log in again.\n"
            "Type 'yes' to continue, or 'no' to cancel: ", ending="")
        self.stdout.flush()
        if stdin.readline().strip().lower() != "yes":
            raise CommandError("Cancelled; nothing was revoked.")
