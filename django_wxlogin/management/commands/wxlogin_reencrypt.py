"""Re-encrypt every stored session_key under the current ``SECRET_KEY``.

The second half of a key rotation: after moving the old key to ``SECRET_KEY_FALLBACKS``, run
this, then drop the old key from the fallbacks. Rows no current or fallback key opens are left
as they are (counted, not wiped), so putting the right key back still recovers them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from ...models import WxUser
from ...sessions.batches import pk_batches
from ..base import add_batch_size_argument, plural, progress_bar


class Command(BaseCommand):
    help = ("Re-encrypt stored WeChat session keys under the current SECRET_KEY, in batches "
            "(run after a SECRET_KEY rotation, before dropping the old key from "
            "SECRET_KEY_FALLBACKS).")

    def add_arguments(self, parser: CommandParser) -> None:
        add_batch_size_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        stored = WxUser.objects.filter(session_key__isnull=False)
        done = unreadable = 0
        with progress_bar(self, stored.count()) as bar:
            for pks in pk_batches(stored, options["batch_size"]):
                with transaction.atomic():
                    for wxuser in WxUser.objects.select_for_update().filter(pk__in=pks):
                        if wxuser.session_key is None:  # no key opens it: keep the ciphertext
                            unreadable += 1
                            continue
                        wxuser.save(update_fields=["session_key"])  # encrypts with SECRET_KEY
                        done += 1
                bar.update(len(pks))
        self.stdout.write(f"Re-encrypted {plural(done, 'session key')}.")
        if unreadable:
            self.stderr.write(f"{plural(unreadable, 'session key')} could not be decrypted with "
                              "SECRET_KEY or SECRET_KEY_FALLBACKS and were left unchanged.")
