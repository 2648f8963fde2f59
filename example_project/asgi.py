"""The example under an ASGI server (uvicorn), where scan login's event streams hold no worker:

    uvicorn example_project.asgi:application
"""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from django_wxlogin.checks import PER_PROCESS_CACHES
from django_wxlogin.scan.asgi import with_scan_events

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
# Scan login's event stream answered before Django: a few KiB per waiting browser.
application = with_scan_events(get_asgi_application())
if not settings.DEBUG and settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
    raise ImproperlyConfigured("Set REDIS_URL when DJANGO_DEBUG is off: a per-process cache "
                               "cannot carry a logout or a revocation to the other workers.")
call_command("check")
