"""The test project's WSGI application for gunicorn, each answer naming the worker process that
served it (``X-Worker``) and how many requests that process has served from memory so far
(``X-Local-Hits``)."""

import os
from typing import Any

from django.core.wsgi import get_wsgi_application

from django_wxlogin.sessions import local

django_application = get_wsgi_application()


def application(environ: dict[str, Any], start_response: Any) -> Any:
    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        headers += [("X-Worker", str(os.getpid())), ("X-Local-Hits", str(local.stats()["hits"]))]
        return start_response(status, headers, exc_info)

    return django_application(environ, start)
