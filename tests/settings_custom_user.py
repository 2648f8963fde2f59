"""The test settings with a custom user model (run by tests/test_users.py in a subprocess)."""

from .settings import *  # noqa: F403
from .settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.custom_user"]
AUTH_USER_MODEL = "custom_user.Member"
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_custom_user"}
