"""The test settings under ASGI with scan login's event stream in front of Django."""

from django.core.asgi import get_asgi_application

from django_wxlogin.scan.asgi import with_scan_events

application = with_scan_events(get_asgi_application())
