"""Settings are read when used, so override_settings and the settings fixture just work."""

from datetime import timedelta

import pytest
from django.test import override_settings

from django_wxlogin.settings import DEFAULTS, wxlogin_settings


def test_defaults_apply():
    assert wxlogin_settings.SINGLE_SESSION is DEFAULTS["SINGLE_SESSION"]
    assert wxlogin_settings.token_ttl_seconds == 7 * 24 * 3600


def test_changes_are_seen_at_once(settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "TOKEN_TTL": timedelta(hours=2)}
    assert wxlogin_settings.token_ttl_seconds == 7200
    with override_settings(WXLOGIN={"TOKEN_TTL": 60, "IDLE_TIMEOUT": timedelta(minutes=5)}):
        assert wxlogin_settings.token_ttl_seconds == 60
        assert wxlogin_settings.idle_timeout_seconds == 300
    assert wxlogin_settings.token_ttl_seconds == 7200


def test_unknown_names_raise():
    with pytest.raises(AttributeError):
        wxlogin_settings.NO_SUCH_SETTING  # noqa: B018
