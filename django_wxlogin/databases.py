"""The database that must answer when a stale answer would be wrong.

Behind a database router with read replicas, a replica may lag behind the primary: it may not
hold a session issued a moment ago, nor the revocation just made. Whether a session is live,
which sessions a revocation hits, and what users read of their own data right after writing it
(their identity, sessions and profile) are therefore read from the primary:
``WXLOGIN["PRIMARY_DATABASE"]`` or, when that is None, the router's write database.
"""

from __future__ import annotations

from django.db import models, router

from .settings import wxlogin_settings


def primary(model: type[models.Model]) -> str:
    """The alias of the database that holds ``model``'s latest writes."""
    return wxlogin_settings.PRIMARY_DATABASE or router.db_for_write(model)
