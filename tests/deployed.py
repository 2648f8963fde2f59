"""The example project served by gunicorn on a deployment (``tests.deployment_settings``), a
database of its own for it, and traffic that checks every answer: plain code, no pytest."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

from .deployments import wait_for
from .services import free_port

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = (3.0, 15.0)  # connect, read: no request hangs a test


MARIADB = {"ENGINE": "django.db.backends.mysql", "HOST": "127.0.0.1", "PORT": 3306,
           "USER": "root", "PASSWORD": ""}


@contextlib.contextmanager
def database(config: dict[str, Any], suffix: str) -> Iterator[str]:
    """A new, empty database on the server a Django ``DATABASES`` entry names (PostgreSQL, or
    MariaDB/MySQL in utf8mb4), called its NAME plus ``suffix``, dropped afterwards; its URL."""
    name = f"{config['NAME']}{suffix}"
    host, user, password = config["HOST"] or "127.0.0.1", config["USER"], config["PASSWORD"]
    if config["ENGINE"] == MARIADB["ENGINE"]:
        port = int(config["PORT"] or 3306)

        def admin(sql: str) -> None:
            import MySQLdb  # the mysql extra: installed for runs on MySQL/MariaDB only

            conn = MySQLdb.connect(host=host, port=port, user=user, password=password or "")
            try:
                conn.cursor().execute(sql)
            finally:
                conn.close()
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        drop, scheme = f"DROP DATABASE IF EXISTS `{name}`", "mysql"
    else:
        port = int(config["PORT"] or 5432)

        def admin(sql: str) -> None:
            with psycopg.connect(host=host, port=port, dbname="postgres", user=user,
                                 password=password or None, autocommit=True) as conn:
                conn.execute(sql)
        create = f'CREATE DATABASE "{name}"'
        drop, scheme = f'DROP DATABASE IF EXISTS "{name}" (FORCE)', "postgres"
    admin(drop)
    admin(create)
    credentials = f"{user}:{password}" if password else user
    try:
        yield f"{scheme}://{credentials}@{host}:{port}/{name}"
    finally:
        admin(drop)


@dataclass
class App:
    """The example project under gunicorn: its URL and what it logged."""

    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def fallbacks(self) -> int:
        """How often a worker logged that it served without the cache."""
        return self.log().count("unavailable (")


@contextlib.contextmanager
def serve(directory: Path, env: dict[str, str], workers: int = 2) -> Iterator[App]:
    """Migrate the database ``env`` names, then serve the example project on it with gunicorn
    until the block ends."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("DJANGO_", "WXLOGIN_", "REDIS_", "DATABASE_"))}
    environment.update(PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="tests.deployment_settings",
                       DJANGO_DEBUG="false", DJANGO_SECRET_KEY="deployment-test-key",
                       WXLOGIN_FAKE_WECHAT="1",  # production settings, WeChat the fake
                       WXLOGIN_LOGIN_RATE="100000/min", **env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment,
                   check=True, timeout=180)
    port = free_port()
    log_path = directory / "gunicorn.log"
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "example_project.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "60"],
            cwd=directory, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for("gunicorn to answer",
                 lambda: requests.get(url + "/wx/login/", timeout=5).status_code)
        yield App(url, log_path)
    finally:
        server.terminate()
        server.wait(timeout=20)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(url: str, user: str, http: Any = requests) -> str:
    """A new token for ``user`` (a fresh code each time)."""
    code = f"{user}.{time.monotonic_ns()}{random.randrange(10**6)}"
    response = http.post(url + "/wx/login/", json={"code": code}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def status(url: str, token: str, path: str = "/wx/profile/") -> int:
    return requests.get(url + path, headers=bearer(token), timeout=TIMEOUT).status_code


@dataclass
class Tally:
    """What the traffic saw. ``server_errors`` are 5xx answers and failed requests."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    revoked_accepted: int = 0
    live_refused: int = 0
    logins: int = 0
    logouts: int = 0


class Traffic:
    """Virtual users in threads until the block ends: GETs with live tokens (must be 200) and
    with tokens whose logout was answered before the GET was sent (must be 401), logouts, and
    logins of new users. Each thread logs out only its own tokens, and each login is a new
    user, so no live token is revoked behind a thread's back."""

    def __init__(self, url: str, tokens: list[str], threads: int = 4,
                 max_requests: int = 20000) -> None:
        self.url, self.threads, self.max_requests = url, threads, max_requests
        self.own = [tokens[i::threads] for i in range(threads)]
        self.revoked: list[str] = []
        self.tally = Tally()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.workers = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def __enter__(self) -> Traffic:
        for worker in self.workers:
            worker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for worker in self.workers:
            worker.join()

    @property
    def live(self) -> list[str]:
        return [token for own in self.own for token in own]

    def _record(self, code: int | None, what: str) -> None:
        with self.lock:
            self.tally.requests += 1
            if code is None or code >= 500:
                self.tally.server_errors.append(f"{what}: {code}")
            else:
                self.tally.statuses[code] += 1

    def _call(self, http: requests.Session, method: str, path: str, token: str | None = None,
              **kwargs: Any) -> int | None:
        headers = bearer(token) if token else {}
        try:
            code = http.request(method, self.url + path, headers=headers, timeout=TIMEOUT,
                                **kwargs).status_code
        except requests.RequestException as exc:
            self._record(None, f"{method} {path} {type(exc).__name__}")
            return None
        self._record(code, f"{method} {path}")
        return code

    def _run(self, index: int) -> None:
        http, own, chance = requests.Session(), self.own[index], random.Random(index)
        serial = 0
        while not self.stopping.is_set() and self.tally.requests < self.max_requests:
            roll = chance.random()
            if roll < 0.6 and own:
                if self._call(http, "GET", "/wx/profile/", chance.choice(own)) == 401:
                    with self.lock:
                        self.tally.live_refused += 1
            elif roll < 0.8 and self.revoked:
                if self._call(http, "GET", "/wx/profile/", chance.choice(self.revoked)) == 200:
                    with self.lock:
                        self.tally.revoked_accepted += 1
            elif roll < 0.9 and len(own) > 1:
                token = own.pop(chance.randrange(len(own)))
                if self._call(http, "POST", "/wx/logout/", token) == 204:
                    with self.lock:
                        self.tally.logouts += 1
                        self.revoked.append(token)
            else:
                serial += 1
                code = f"load{index}x{serial}x{time.monotonic_ns()}.{serial}"
                response = None
                try:
                    response = http.post(self.url + "/wx/login/", json={"code": code},
                                         timeout=TIMEOUT)
                except requests.RequestException as exc:
                    self._record(None, f"POST /wx/login/ {type(exc).__name__}")
                if response is not None:
                    self._record(response.status_code, "POST /wx/login/")
                    if response.status_code == 200:
                        own.append(response.json()["token"])
                        with self.lock:
                            self.tally.logins += 1

    def figures(self) -> dict[str, Any]:
        tally = self.tally
        return {"requests": tally.requests, "5xx_or_failed": len(tally.server_errors),
                "revoked_accepted": tally.revoked_accepted, "live_refused": tally.live_refused,
                "logins": tally.logins, "logouts": tally.logouts,
                "statuses": dict(tally.statuses)}
