"""The account-deletion settings' system checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django_wxlogin.deletion.checks import check_deletion


@pytest.mark.parametrize(("extra", "expected"), [
    ({}, []),
    ({"CLOSURE_GRACE_PERIOD": 0, "ERASE_USER": "delete"}, []),
    ({"CLOSURE_GRACE_PERIOD": timedelta(days=-1)}, ["wxlogin.E065"]),
    ({"CLOSURE_GRACE_PERIOD": "14d"}, ["wxlogin.E065"]),
    ({"CLOSURE_GRACE_PERIOD": timedelta(days=30)}, ["wxlogin.W060"]),
    ({"ERASE_USER": "keep"}, ["wxlogin.E066"]),
])
def test_deletion_settings(settings, extra, expected):
    settings.WXLOGIN = {"APPID": "wxa", "SECRET": "s", **extra}
    assert [m.id for m in check_deletion()] == expected
