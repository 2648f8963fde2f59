"""A PostgreSQL primary and a hot standby that applies commits 3 s late, reads routed to the
standby (``tests.routers.PrimaryReplicaRouter``), the example project under gunicorn: a replica
never decides whether a token is alive, and users read their own writes at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from django_wxlogin.sessions.tokens import user_reference

from .deployed import ROOT, TIMEOUT, bearer, serve, status
from .deployed import login as deployed_login
from .deployments import PostgresPair, running
from .services import RedisServer

pytestmark = pytest.mark.deployment
APPLY_DELAY = 3.0
figures = {"requests": 0, "5xx": 0, "revoked_accepted": 0}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    directory = tmp_path_factory.mktemp("replica")
    redis_server = RedisServer(str(directory))
    with running(PostgresPair(APPLY_DELAY)) as postgres:
        redis_server.start()
        try:
            env = {"DATABASE_URL": postgres.url(postgres.primary_port),
                   "REPLICA_DATABASE_URL": postgres.url(postgres.replica_port),
                   "REDIS_URL": redis_server.url}
            with serve(directory, env) as app:
                postgres.wait_caught_up()  # the schema, before the first read
                yield app, postgres, redis_server
        finally:
            redis_server.kill()
    print(f"\nPostgreSQL replica deployment: {figures}")


def checked(app, token, *, expect, times=1, path="/wx/profile/"):
    """``times`` GETs; every one must answer ``expect``."""
    codes = [status(app.url, token, path) for _ in range(times)]
    figures["requests"] += times
    figures["5xx"] += sum(code >= 500 for code in codes)
    if expect == 401:
        figures["revoked_accepted"] += sum(code != 401 for code in codes)
    assert codes == [expect] * times


def revoked_sessions(postgres, port, token) -> int:
    return postgres.query(port, "SELECT count(*) FROM django_wxlogin_wxsession WHERE user_id = "
                          "%s AND revoked_at IS NOT NULL", (int(user_reference(token)),))


def login(url, user):
    figures["requests"] += 1
    return deployed_login(url, user)


def logout(app, token):
    response = requests.post(app.url + "/wx/logout/", headers=bearer(token), timeout=TIMEOUT)
    figures["requests"] += 1
    assert response.status_code == 204


def test_a_fresh_login_reads_its_own_profile_and_sessions_at_once(deployment):
    app, postgres, _ = deployment
    token = login(app.url, "rita")
    profile = requests.get(app.url + "/wx/profile/", headers=bearer(token), timeout=TIMEOUT)
    sessions = requests.get(app.url + "/wx/sessions/", headers=bearer(token), timeout=TIMEOUT)
    assert postgres.lag_bytes() > 0  # the standby had not applied the login yet
    assert profile.status_code == 200 and profile.json()["id"] == int(user_reference(token))
    assert [s["current"] for s in sessions.json()] == [True]
    renamed = requests.patch(app.url + "/wx/profile/", json={"nickname": "小雨🌧"},
                             headers=bearer(token), timeout=TIMEOUT)
    again = requests.get(app.url + "/wx/profile/", headers=bearer(token), timeout=TIMEOUT)
    assert renamed.status_code == 200 and again.json()["nickname"] == "小雨🌧"
    session_id = sessions.json()[0]["id"]
    deleted = requests.delete(f"{app.url}/wx/sessions/{session_id}/", headers=bearer(token),
                              timeout=TIMEOUT)
    figures["requests"] += 5
    assert deleted.status_code == 204
    checked(app, token, expect=401, times=3)


def test_logout_is_final_before_and_after_the_replica_catches_up(deployment):
    app, postgres, _ = deployment
    token = login(app.url, "sam")
    checked(app, token, expect=200)  # a fresh login is usable at once, from the warm cache
    logout(app, token)
    assert revoked_sessions(postgres, postgres.replica_port, token) == 0  # not applied yet
    checked(app, token, expect=401, times=5)
    postgres.wait_caught_up()
    checked(app, token, expect=401, times=5)


def test_logout_is_final_with_a_cold_cache(deployment):
    app, postgres, redis_server = deployment
    token = login(app.url, "tess")
    redis_server.client().flushdb()
    checked(app, token, expect=200)  # the new session, read from the primary
    logout(app, token)
    redis_server.client().flushdb()
    checked(app, token, expect=401, times=5)
    postgres.wait_caught_up()
    redis_server.client().flushdb()
    checked(app, token, expect=401, times=5)


def test_a_logout_right_after_the_login_revokes_it(deployment):
    app, postgres, redis_server = deployment
    token = login(app.url, "uma")
    logout(app, token)
    checked(app, token, expect=401, times=3)
    redis_server.client().flushdb()
    checked(app, token, expect=401, times=3)
    assert revoked_sessions(postgres, postgres.primary_port, token) == 1
    assert "Internal Server Error" not in app.log()


def test_a_revocation_from_a_shell_without_redis_is_not_hidden_by_the_replica(deployment):
    """The shell has no REDIS_URL (a per-process cache): its revocation waits in the outbox,
    which the servers read from the primary, so the token is refused while the replica, 3 s
    behind, has neither the revocation nor its record yet."""
    app, postgres, _ = deployment
    token = login(app.url, "vera")
    checked(app, token, expect=200, times=2)
    shell = {k: v for k, v in os.environ.items()
             if not k.startswith(("DJANGO_", "WXLOGIN_", "REDIS_", "DATABASE_"))}
    shell.update(PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="tests.deployment_settings",
                 DJANGO_SECRET_KEY="deployment-test-key",
                 DATABASE_URL=postgres.url(postgres.primary_port),
                 REPLICA_DATABASE_URL=postgres.url(postgres.replica_port))
    revoked = subprocess.run([sys.executable, "manage.py", "wxlogin_revoke", "--user",
                              user_reference(token)], cwd=ROOT, env=shell, capture_output=True,
                             text=True, timeout=120)
    assert revoked.returncode == 2, revoked.stderr
    for _ in range(100):
        if status(app.url, token) == 401:
            break
        time.sleep(0.05)
    figures["requests"] += 1
    assert revoked_sessions(postgres, postgres.replica_port, token) == 0  # not applied there
    checked(app, token, expect=401, times=3)
