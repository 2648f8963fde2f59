import os
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

from django_wxlogin.checks import PER_PROCESS_CACHES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
application = get_wsgi_application()
# Served with DEBUG off, the example needs a shared cache (an exception, so that gunicorn stops
# instead of restarting the worker forever).
if not settings.DEBUG and settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
    raise ImproperlyConfigured("Set REDIS_URL when DJANGO_DEBUG is off: a per-process cache "
                               "cannot carry a logout or a revocation to the other workers.")
# As runserver does: a configuration error (wxlogin.E023: the fake WeChat with DEBUG off, ...)
# stops the worker before it serves anyone. (Under runserver, which has just run the checks and
# loads this module too, they would be printed twice.)
if "runserver" not in sys.argv:
    call_command("check")
