"""What the session commands share: naming sessions by user, and progress on bulk work."""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet
from django.utils import timezone
from tqdm import tqdm

from ..databases import primary
from ..models import WxSession, WxUser


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def local_minute(moment: datetime | None) -> str:
    """A time in the project's time zone, to the minute, for tables and messages."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def add_batch_size_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--batch-size", type=_positive_int, default=5000,
        help="rows per transaction (default 5000): bounds memory and how long rows stay locked",
    )


def progress_bar(command: BaseCommand, total: int) -> tqdm:
    """A bar on stderr when a person is watching (stdout is a terminal); silent otherwise, so
    cron mails and pipes get only the summary line."""
    return tqdm(total=total, unit="session", disable=not command.stdout.isatty(),
                file=sys.stderr)


class SessionCommand(BaseCommand):
    """A command that picks sessions by user (``--openid``, ``--unionid``, ``--user``, each
    repeatable) and by state: live, or with ``--expired`` dead but not marked revoked."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--openid", action="append", default=[],
                            help="sessions of the user with this openid (repeatable)")
        parser.add_argument("--unionid", action="append", default=[],
                            help="sessions of the user(s) with this unionid (repeatable)")
        parser.add_argument("--user", action="append", default=[], metavar="ID_OR_USERNAME",
                            help="sessions of this Django user, by id or username (repeatable)")
        parser.add_argument(
            "--expired", action="store_true",
            help="instead of live sessions, those past their lifetime or IDLE_TIMEOUT that "
                 "are not marked revoked yet",
        )

    @staticmethod
    def names_users(options: dict[str, Any]) -> bool:
        return bool(options["openid"] or options["unionid"] or options["user"])

    def sessions(self, options: dict[str, Any]) -> QuerySet:
        """The sessions the options name; a ``CommandError`` for a user that does not exist."""
        sessions = WxSession.objects.expired() if options["expired"] else WxSession.objects.live()
        if self.names_users(options):
            sessions = sessions.filter(user_id__in=self._user_pks(options))
        return sessions

    def _user_pks(self, options: dict[str, Any]) -> set[Any]:
        """The named users, as the primary knows them (a replica may not have a new one yet)."""
        pks: set[Any] = set()
        for field in ("openid", "unionid"):
            for value in options[field]:
                found = set(WxUser.objects.using(primary(WxUser)).filter(**{field: value})
                            .values_list("user_id", flat=True))
                if not found:
                    raise CommandError(f"No WeChat user has the {field} {value!r}.")
                pks |= found
        pks.update(self._user_pk(value) for value in options["user"])
        return pks

    @staticmethod
    def _user_pk(value: str) -> Any:
        model = get_user_model()
        match = Q(**{model.USERNAME_FIELD: value})
        with contextlib.suppress(ValidationError):  # not a possible id: a username only
            match |= Q(pk=model._meta.pk.to_python(value))
        found = list(model._default_manager.db_manager(primary(model)).filter(match)
                     .values_list("pk", flat=True)[:2])
        if not found:
            raise CommandError(f"No user has the id or {model.USERNAME_FIELD} {value!r}.")
        if len(found) > 1:
            raise CommandError(f"{value!r} is one user's id and another user's "
                               f"{model.USERNAME_FIELD}; name the user by a value only it has.")
        return found[0]
