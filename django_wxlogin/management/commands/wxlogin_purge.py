"""Delete session rows that are dead and old, in small batches (no long lock on the table).

Revoked and expired rows are kept for ``--days`` as a record (who was logged out, when, why);
after that they only cost space and index size.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from ...models import WxSession
from ...sessions.batches import pk_batches
from ..base import add_batch_size_argument, local_minute, plural, progress_bar


class Command(BaseCommand):
    help = ("Delete sessions that expired or were revoked more than --days days ago "
            "(default 30), in batches of short transactions.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30,
                            help="keep dead sessions this many days (default 30)")
        parser.add_argument("--dry-run", action="store_true",
                            help="only print how many sessions would be deleted")
        add_batch_size_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 0:
            raise CommandError("--days cannot be negative.")
        cutoff = timezone.now() - timedelta(days=options["days"])
        dead = WxSession.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff))
        count = dead.count()
        since = f"that expired or were revoked before {local_minute(cutoff)}"
        if options["dry_run"]:
            self.stdout.write(f"Would delete {plural(count, 'session')} {since}.")
            return
        deleted = 0
        with progress_bar(self, count) as bar:
            for pks in pk_batches(dead, options["batch_size"]):
                # One DELETE statement per batch: its own short transaction in autocommit.
                batch, _ = dead.filter(pk__in=pks).delete()
                deleted += batch
                bar.update(batch)
        self.stdout.write(f"Deleted {plural(deleted, 'session')} {since}.")
