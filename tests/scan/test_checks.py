"""Scan login's system checks."""

from __future__ import annotations

import pytest

from django_wxlogin.scan.checks import check_scan


def ids(settings, debug: bool = False, **scan) -> set[str]:
    settings.DEBUG = debug
    settings.WXLOGIN = {**settings.WXLOGIN, **scan}
    return {message.id for message in check_scan()}


def test_the_defaults_pass(settings):
    assert ids(settings) == set()


@pytest.mark.parametrize(("scan", "expected"), [
    ({"SCAN_ENV_VERSION": "beta"}, "wxlogin.E080"),
    ({"SCAN_ENV_VERSION": "develop"}, "wxlogin.E081"),
    ({"SCAN_TTL": 0}, "wxlogin.E082"),
    ({"SCAN_TTL": "120"}, "wxlogin.E082"),
    ({"SCAN_PAGE": "/pages/scan/confirm"}, "wxlogin.E083"),
    ({"SCAN_PAGE": "pages/scan/confirm?x=1"}, "wxlogin.E083"),
    ({"SCAN_DELIVERY": "header"}, "wxlogin.E084"),
    ({"SCAN_RATE": "lots"}, "wxlogin.E085"),
    ({"SCAN_TTL": 600}, "wxlogin.W080"),
    ({"SCAN_ALLOW_FORWARDED": True}, "wxlogin.W081"),
])
def test_each_mistake_has_its_check(settings, scan, expected):
    assert ids(settings, **scan) == {expected}


def test_a_trial_version_is_fine_while_debugging(settings):
    assert ids(settings, debug=True, SCAN_ENV_VERSION="trial") == set()
    assert ids(settings, SCAN_ENV_VERSION="release", SCAN_RATE=None) == set()
