"""A second Django process for the cross-process access-token test.

``python -m tests.phone_worker '{"database", "fake_url", "token", "codes", "api_security"}'``
sets Django up against the test database and Redis, prints ``ready``, waits for a line on
stdin, then posts every code to phone/ at once from its own threads and prints the statuses as
JSON.
"""

from __future__ import annotations

import json
import os
import sys
import threading


def main() -> None:
    args = json.loads(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = args["database"]
    settings.WXLOGIN["API_BASE_URL"] = args["fake_url"]
    settings.WXLOGIN["API_SECURITY"] = args.get("api_security")  # keys from files and env
    import django

    django.setup()
    from django.db import connections
    from rest_framework.test import APIClient

    statuses: list[int] = []

    def call(code: str) -> None:
        response = APIClient().post("/wx/phone/", {"code": code}, format="json",
                                    HTTP_AUTHORIZATION=f"Bearer {args['token']}")
        statuses.append(response.status_code)
        connections.close_all()

    threads = [threading.Thread(target=call, args=(code,)) for code in args["codes"]]
    print("ready", flush=True)
    sys.stdin.readline()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(statuses), flush=True)


if __name__ == "__main__":
    main()
