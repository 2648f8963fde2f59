"""Revocations hold everywhere: two gunicorn instances share the database and Redis, and a process
whose Redis is unreachable, or that has no Redis at all (a per-process cache), revokes (a
command) or deactivates (a shell). The revocation stands, the command says so and exits 2, and
both instances refuse the token within REVOCATION_SYNC_INTERVAL, never needing the revoking
process to reach Redis; a backlog of any length is applied in one interval, read from the
primary."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection

from django_wxlogin.models import PendingInvalidation, WxSession
from django_wxlogin.sessions import outbox
from django_wxlogin.wechat.fake import openid_for

from ..services import RedisServer, free_port
from ..test_example_project import DEVELOPMENT, ROOT, example_env, start_gunicorn

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLE_APPID = "wx0000000000000000"  # the example project's app


def _database_url() -> str:
    """This test's database (PostgreSQL, MySQL or MariaDB), as the example project reads it."""
    db = connection.settings_dict
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[connection.vendor]
    return f"{scheme}://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def servers(tmp_path):
    """Two example projects under gunicorn on this test's database and a Redis of their own;
    their URLs, and the environment of a process whose Redis is unreachable."""
    redis_server = RedisServer(str(tmp_path))
    redis_server.start()
    settings = {**DEVELOPMENT, "DATABASE_URL": _database_url(), "REDIS_URL": redis_server.url}
    started = []
    try:
        urls = []
        for _ in range(2):
            server, url = start_gunicorn(tmp_path, example_env(tmp_path, settings))
            started.append(server)
            assert server.poll() is None, server.stderr.read().decode()
            urls.append(url)
        elsewhere = {  # a shell whose Redis is down, and one on a box without REDIS_URL
            "unreachable": example_env(tmp_path, {
                **settings, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}),
            "per_process": example_env(tmp_path, {**settings, "REDIS_URL": ""}),
        }
        yield urls, elsewhere
    finally:
        for server in started:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=10)
        redis_server.kill()


def _status(url: str, token: str) -> tuple[int, str | None]:
    response = requests.get(url + "/wx/profile/", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)
    return response.status_code, None if response.ok else response.json()["code"]


def _refused_everywhere(urls: list[str], token: str, code: str) -> bool:
    """Whether every instance refuses the token, asking for up to 30 seconds."""
    for _ in range(60):
        if all(_status(url, token) == (401, code) for url in urls):
            return True
        time.sleep(0.5)
    return False


def _login(url: str, name: str) -> str:
    response = requests.post(url + "/wx/login/", json={"code": f"{name}.{time.time_ns()}"},
                             timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("shell", ["unreachable", "per_process"])
def test_a_revocation_without_redis_reaches_every_instance(servers, shell):
    urls, elsewhere = servers
    token = _login(urls[0], "rita")
    assert [_status(url, token) for url in urls] == [(200, None)] * 2  # cached on both
    revoked = _manage(elsewhere[shell], "wxlogin_revoke", "--openid",
                      openid_for(EXAMPLE_APPID, "rita"))
    assert revoked.returncode == 2, revoked.stderr
    assert "Revoked 1 session of 1 user." in revoked.stdout
    assert "Not applied to the servers' cache at once" in revoked.stderr
    assert WxSession.objects.get().revoked_at is not None  # the revocation stands
    assert _refused_everywhere(urls, token, "session_expired")
    assert not PendingInvalidation.objects.exists()


@pytest.mark.parametrize(("shell", "lock"), [
    ("unreachable", "u.is_active = False"),
    ("per_process", "u.is_active = False"),
    ("per_process", "u.set_unusable_password()"),  # how many projects lock an account
])
def test_a_deactivation_without_redis_reaches_every_instance(servers, shell, lock):
    urls, elsewhere = servers
    token = _login(urls[1], "dora")
    assert [_status(url, token) for url in urls] == [(200, None)] * 2
    openid = openid_for(EXAMPLE_APPID, "dora")
    if "password" in lock:  # an account with a password (set without signals: no revocation)
        get_user_model().objects.filter(wechat_identities__openid=openid).update(
            password=make_password("old"))
    deactivated = _manage(elsewhere[shell], "shell", "-c", (
        "from django_wxlogin.models import WxUser; "
        f"u = WxUser.objects.get(openid={openid!r}).user; {lock}; u.save()"))
    assert deactivated.returncode == 0, deactivated.stderr
    code = "user_inactive" if "is_active" in lock else "session_expired"
    assert _refused_everywhere(urls, token, code)


def test_a_process_drains_at_most_once_per_interval(settings, monkeypatch, private_redis,
                                                     django_assert_num_queries):
    settings.WXLOGIN = {**settings.WXLOGIN, "REVOCATION_SYNC_INTERVAL": 3600}
    monkeypatch.setattr(outbox, "_next_check", [0.0])
    PendingInvalidation.objects.create(names="wxlogin:{1}:n wxlogin:{1}:s:x")
    with django_assert_num_queries(4):  # the look; the delete (BEGIN, DELETE, COMMIT)
        outbox.drain_if_due()
    PendingInvalidation.objects.create(names="wxlogin:{2}:n")
    with django_assert_num_queries(0):  # not again within the interval
        for _ in range(100):
            outbox.drain_if_due()
    assert PendingInvalidation.objects.count() == 1
    assert private_redis.client().get(":1:wxlogin:{1}:n").endswith(b"!")  # a tombstone


def test_a_backlog_of_any_length_is_applied_in_one_interval(monkeypatch, private_redis):
    monkeypatch.setattr(outbox, "_next_check", [0.0])
    PendingInvalidation.objects.bulk_create(
        [PendingInvalidation(names=f"wxlogin:{{{user}}}:n") for user in range(1601)])
    outbox.drain_if_due()
    assert not PendingInvalidation.objects.exists()
    assert private_redis.client().get(":1:wxlogin:{1600}:n").endswith(b"!")


class ReadsFromAReplica:
    """Reads from a replica that has none of the primary's rows (here: no such database)."""

    def db_for_read(self, model, **hints):
        return "replica"

    def db_for_write(self, model, **hints):
        return "default"


def test_the_outbox_is_read_from_the_primary(settings, monkeypatch, private_redis):
    settings.DATABASE_ROUTERS = [ReadsFromAReplica()]
    monkeypatch.setattr(outbox, "_next_check", [0.0])
    PendingInvalidation.objects.create(names="wxlogin:{7}:n")
    outbox.drain_if_due()
    assert not PendingInvalidation.objects.using("default").exists()
