"""Walking a table of any size in bounded memory, for bulk revocation and purging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet


def pk_batches(queryset: QuerySet, size: int) -> Iterator[list[Any]]:
    """The queryset's primary keys in ascending order, at most ``size`` at a time.

    Each page is a fresh ``pk > last`` query on the primary key index (keyset pagination):
    no cursor or transaction stays open between pages, the caller may revoke or delete the
    rows of one page before asking for the next, and a page deep in a huge table costs no
    more than the first.
    """
    queryset = queryset.order_by("pk")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        pks = list(page.values_list("pk", flat=True)[:size])
        if pks:
            yield pks
        if len(pks) < size:
            return
        last = pks[-1]
