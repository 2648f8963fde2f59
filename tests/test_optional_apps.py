"""The package needs only auth and contenttypes: a project without the admin starts and erases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROGRAM = """
import django
from django.conf import settings

settings.configure(
    SECRET_KEY="x", USE_TZ=True,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "rest_framework",
                    "django_wxlogin"],
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "unused"}},
)
django.setup()  # every module the app's ready() imports, the erasure's among them

from django_wxlogin.deletion.erasure import _forget_admin_history
from django_wxlogin.models import WxUser

_forget_admin_history(WxUser, [1])  # no admin, no history: nothing to query
print("started")
"""


def test_a_project_without_the_admin_starts_and_has_no_admin_history_to_forget():
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "started"
