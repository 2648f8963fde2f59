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
        erased = 0
        if pending is None:
            erase_user(users[0], outcome="erased by hand (wxlogin_erase --user)")
            erased = 1
        else:
            erased = sum(closures.erase_due(c) for c in pending)
        self.stdout.write(f"Erased {plural(erased, 'user')}.")

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
