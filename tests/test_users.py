"""Finding or creating users: concurrency on real PostgreSQL, custom user models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from django_wxlogin.models import WxSession, WxUser

from .conftest import fresh_code, run_together

pytestmark = pytest.mark.django_db(transaction=True)


def _concurrent_logins(user: str, count: int) -> list:
    codes = iter([fresh_code(user) for _ in range(count)])
    return run_together(count, lambda: APIClient().post("/wx/login/", {"code": next(codes)},
                                                        format="json"))


def test_concurrent_first_logins_create_exactly_one_user():
    responses = _concurrent_logins("quinn", 8)
    assert [r.status_code for r in responses] == [200] * 8, [r.content for r in responses]
    assert get_user_model().objects.count() == 1
    assert WxUser.objects.count() == 1
    assert len({r.json()["user"]["id"] for r in responses}) == 1
    assert sum(r.json()["created"] for r in responses) == 1
    assert WxSession.objects.live().count() == 1  # SINGLE_SESSION held under the race


def test_concurrent_logins_without_single_session_keep_all(settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "SINGLE_SESSION": False}
    responses = _concurrent_logins("rita", 6)
    assert all(r.status_code == 200 for r in responses)
    assert WxSession.objects.live().count() == 6


def test_a_unionid_that_arrives_later_is_recorded(api):
    api.post("/wx/login/", {"code": fresh_code("sam")}, format="json")
    WxUser.objects.update(unionid=None)
    api.post("/wx/login/", {"code": fresh_code("sam")}, format="json")
    assert WxUser.objects.get().unionid


def test_a_custom_user_model_with_a_uuid_key():
    """Runs tests/custom_user/flow.py under settings with AUTH_USER_MODEL swapped."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/custom_user/flow.py", "-q",
         "-p", "no:cacheprovider", "--ds=tests.settings_custom_user"],
        cwd=root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
