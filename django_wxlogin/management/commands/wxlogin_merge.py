"""``manage.py wxlogin_merge``: list the users found to be one person, or merge two of them.

Without arguments it lists the open conflicts. ``wxlogin_merge <conflict id>`` merges the
user of the conflict's identity into the user holding the unionid (``--keep identity`` the
other way), through ``identities.merge``: ``accounts_merged`` is sent first, so the project's
own rows move; nothing is deleted when the merge is refused.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import APIException

from ...identities.merge import merge
from ...models import IdentityConflict
from ..base import local_minute


class Command(BaseCommand):
    help = "List users found to be one person (shared unionid), or merge two of them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("conflict", nargs="?", type=int,
                            help="the id of the conflict to resolve by merging")
        parser.add_argument("--keep", choices=["holder", "identity"], default="holder",
                            help="which user stays: the one holding the unionid (default) or "
                                 "the one of the identity whose login found the conflict")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["conflict"] is None:
            rows = IdentityConflict.objects.filter(resolved_at__isnull=True).select_related(
                "wxuser").order_by("pk")
            for row in rows:
                self.stdout.write(f"{row.pk}\t{local_minute(row.created_at)}\tuser "
                                  f"{row.wxuser.user_id} ({row.wxuser.kind} {row.wxuser.appid})"
                                  f"\tand user {row.other_user_id}\tunionid {row.unionid}")
            self.stdout.write(f"{rows.count()} open conflict(s).")
            return
        conflict = IdentityConflict.objects.filter(
            pk=options["conflict"], resolved_at__isnull=True).select_related("wxuser").first()
        if conflict is None:
            raise CommandError(f"No open conflict {options['conflict']}.")
        try:
            kept = merge(conflict, keep_holder=options["keep"] == "holder")
        except APIException as error:
            raise CommandError(f"Not merged: {error.detail}") from None
        self.stdout.write(f"Merged into user {kept.pk}.")
