import os

from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
application = get_wsgi_application()
# As runserver does: a configuration error (wxlogin.E021: the fake WeChat with DEBUG off, ...)
# stops the worker before it serves anyone.
call_command("check")
