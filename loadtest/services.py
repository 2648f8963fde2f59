"""The services a load test runs against, all of its own: redis-server, a PostgreSQL database
and gunicorn serving the example project; everything started is stopped, on failure too."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import django
import gunicorn
import psycopg
import requests
from psycopg import sql

from tests.services import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Services:
    base_url: str
    redis: RedisServer
    log: Path
    versions: str


def _database_url(server_url: str, name: str) -> str:
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


@contextlib.contextmanager
def _database(server_url: str) -> Iterator[tuple[str, str]]:
    """A database of this run's own on the PostgreSQL server; (its URL, the server version)."""
    name = f"wxlogin_load_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = str(admin.execute("SHOW server_version").fetchone()[0]).split()[0]
    try:
        yield _database_url(server_url, name), version
    finally:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                          .format(sql.Identifier(name)))


def _server_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WXLOGIN_"))}
    env.update(
        PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=database_url, REDIS_URL=redis_url,
        WXLOGIN_LOGIN_RATE="",  # one client IP makes every login: no throttle
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY=secrets.token_urlsafe(32),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        WXLOGIN_FAKE_WECHAT="1",  # production settings, but WeChat is the fake on loopback
    )
    return env


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], workers: int, directory: str,
              log: Path) -> Iterator[str]:
    """gunicorn serving the example project on a free loopback port; its base URL."""
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("wb") as output:
        # Its own session: Ctrl-C reaches this tool only, which then stops it in order.
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
             "--bind", url.removeprefix("http://"), "--workers", str(workers),
             "--timeout", "30", "--graceful-timeout", "5"],
            cwd=directory, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_serving(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait_until_serving(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url + "/wx/profile/", timeout=2).status_code == 401:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start serving:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def services(args: argparse.Namespace) -> Iterator[Services]:
    """redis-server, a PostgreSQL database and gunicorn, all of this run's own."""
    with tempfile.TemporaryDirectory(prefix="wxlogin-load-") as directory:
        redis_server = RedisServer(directory)
        try:
            redis_server.start()
            with _database(args.postgres) as (database_url, pg_version):
                env = _server_env(database_url, redis_server.url)
                migrate = subprocess.run(
                    [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                    capture_output=True, text=True, timeout=120, check=False,
                )
                if migrate.returncode:
                    raise RuntimeError(f"migrate failed:\n{migrate.stderr[-3000:]}")
                log = Path(directory, "gunicorn.log")
                with _gunicorn(env, args.workers, directory, log) as base_url:
                    redis_version = redis_server.client().info("server")["redis_version"]
                    versions = (f"Python {platform.python_version()}, Django {django.__version__},"
                                f" gunicorn {gunicorn.__version__} ({args.workers} sync workers),"
                                f" PostgreSQL {pg_version}, Redis {redis_version}")
                    print(f"Serving {base_url} (gunicorn), Redis {redis_server.url}, "
                          f"PostgreSQL {database_url}", file=sys.stderr)
                    yield Services(base_url, redis_server, log, versions)
        finally:
            redis_server.kill()
