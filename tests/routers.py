"""The read/write split the deployment tests run the example project with, as Django's
documentation shows it: every read goes to the replica, every write to the primary."""

from __future__ import annotations

from typing import Any


class PrimaryReplicaRouter:
    """Reads from ``replica``, writes and migrations to ``default``."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return "replica"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None,
                      **hints: Any) -> bool:
        return db == "default"
