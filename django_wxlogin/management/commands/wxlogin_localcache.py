"""The in-process session cache of every worker (``LOCAL_CACHE``): hits, misses,
invalidations, flushes, entries and bytes per process.

Each worker writes its counters to the session cache every 30 seconds (``sessions/local.py``),
so this command, a process of its own, sees every worker of every host sharing the Redis.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_redis.cache import RedisCache

from ...sessions import local
from ...settings import wxlogin_settings

COLUMNS = (("PROCESS", 28), ("HITS", 10), ("MISSES", 10), ("HIT %", 6), ("INVALIDATIONS", 14),
           ("FLUSHES", 8), ("ENTRIES", 8), ("BYTES", 11), ("TRACKING", 0))


class Command(BaseCommand):
    help = ("Show the in-process session cache of every worker process that reported in the "
            "last 90 seconds (each reports every 30).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true",
                            help="print a JSON object keyed by <host>:<pid> instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        cache = caches[wxlogin_settings.CACHE_ALIAS]
        if not isinstance(cache, RedisCache):
            raise CommandError("The session cache is not django-redis: there is no local layer.")
        found = local.reports(cache)
        if options["json"]:
            self.stdout.write(json.dumps(found, indent=2, sort_keys=True))
            return
        if not wxlogin_settings.LOCAL_CACHE:
            self.stdout.write("WXLOGIN['LOCAL_CACHE'] is off in this process's settings.")
        if not found:
            self.stdout.write("No worker has reported yet (each reports on a request, every "
                              f"{local.REPORT_INTERVAL:.0f} seconds at most).")
            return
        self._row([title for title, _ in COLUMNS])
        for name, figures in found.items():
            looked_up = figures["hits"] + figures["misses"]
            rate = f"{100 * figures['hits'] / looked_up:.1f}" if looked_up else "-"
            self._row([name, *(str(figures[k]) for k in ("hits", "misses")), rate,
                       *(str(figures[k]) for k in ("invalidations", "flushes", "entries",
                                                    "bytes")),
                       "yes" if figures["tracking"] else "no"])

    def _row(self, values: list[str]) -> None:
        self.stdout.write(" ".join(value.ljust(width) for value, (_, width)
                                   in zip(values, COLUMNS, strict=True)).rstrip())
