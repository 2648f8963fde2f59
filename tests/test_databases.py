"""Which database answers the reads a replica must not: PRIMARY_DATABASE, else the router's
write database."""

from __future__ import annotations

from django_wxlogin.databases import primary
from django_wxlogin.models import WxSession, WxUser


class WritesElsewhere:
    def db_for_write(self, model, **hints):
        return "elsewhere"


def test_the_router_names_the_primary_by_default(settings):
    assert primary(WxSession) == "default"
    settings.DATABASE_ROUTERS = [WritesElsewhere()]
    assert primary(WxSession) == primary(WxUser) == "elsewhere"


def test_the_setting_overrides_the_router(settings):
    settings.DATABASE_ROUTERS = [WritesElsewhere()]
    settings.WXLOGIN = {**settings.WXLOGIN, "PRIMARY_DATABASE": "default"}
    assert primary(WxSession) == "default"
