"""Erase accounts: the daily cron that erases closures whose grace period is over, or one
user by hand (``--user``); ``--dry-run`` lists what would be erased, by counts and keyed
hashes only. Cron: ``15 3 * * * python3 manage.py wxlogin_erase --due``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...deletion import closures
from ...deletion.erasure import Plan, erase_user, plan
from ..base import plural


class Command(BaseCommand):
    help = ("Erase the accounts whose closure is due (--due, for a daily cron), or one user "
            "now (--user PK); --dry-run lists what would be erased.")

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--due", action="store_true",
                           help="closures whose grace period is over")
        which.add_argument("--user", metavar="PK", help="this user, now, closure or not")
        parser.add_argument("--dry-run", action="store_true",
                            help="only list what would be erased")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        if options["user"] is not None:
            users = [self._user(options["user"])]
            pending = None
        else:
            pending = list(closures.due())
            users = [c.user for c in pending if c.user is not None]
        for user in users:
            self._describe(plan(user), dry_run)
        if dry_run:
            self.stdout.write(f"Would erase {plural(len(users), 'user')}.")
            return
        if pending is None:
            erase_user(users[0], outcome="erased by hand (wxlogin_erase --user)")
            self.stdout.write("Erased 1 user.")
            return
        erased, failed = 0, []
        for closure in pending:  # one failure (a project's receiver raising) stops no other
            try:
                erased += closures.erase_due(closure)
            except Exception as exc:
                failed.append(f"closure {closure.pk}: {type(exc).__name__}")
        self.stdout.write(f"Erased {plural(erased, 'user')}.")
        if failed:
            raise CommandError(f"Not erased, tried again on the next run: {'; '.join(failed)}")

    def _user(self, value: str) -> Any:
        model = get_user_model()
        try:
            return model._default_manager.get(pk=value)
        except (model.DoesNotExist, ValueError, ValidationError):
            raise CommandError(f"No user with primary key {value!r}.") from None

    def _describe(self, found: Plan, dry_run: bool) -> None:
        verb = "would erase" if dry_run else "erasing"
        self.stdout.write(
            f"user {found.user_pk}: {verb} {plural(len(found.identities), 'WeChat identity')} "
            f"({', '.join(s[:12] for s in found.identities) or '-'}), "
            f"{plural(found.avatar_files, 'avatar file')}, the IPs and agents of "
            f"{plural(found.sessions, 'session')} ({found.live_sessions} live), bind tickets, "
            f"throttle counters; then {found.user} the user")
