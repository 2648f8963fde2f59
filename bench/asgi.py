"""The benchmark's ASGI application, for uvicorn: Django with scan login's event stream served
in front of it (``django_wxlogin.scan.asgi``)."""

import os

from django.core.asgi import get_asgi_application

from django_wxlogin.scan.asgi import with_scan_events

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
application = with_scan_events(get_asgi_application())
