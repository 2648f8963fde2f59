"""The example project under gunicorn on MariaDB (utf8mb4): the login, profile, sessions and
logout contract, an emoji nickname, and concurrent first logins of one WeChat user."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings

from .deployed import MARIADB, TIMEOUT, bearer, database, login, serve, status
from .services import RedisServer

pytestmark = pytest.mark.deployment


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mariadb")
    redis_server = RedisServer(str(directory))
    redis_server.start()
    try:
        config = {**MARIADB, "NAME": settings.DATABASES["default"]["NAME"]}
        with database(config, "_deploy") as url, \
                serve(directory, {"DATABASE_URL": url, "REDIS_URL": redis_server.url}) as app:
            yield app
    finally:
        redis_server.kill()


def test_login_profile_sessions_logout(app):
    token = login(app.url, "mei")
    renamed = requests.patch(app.url + "/wx/profile/", json={"nickname": "美美🐼"},
                             headers=bearer(token), timeout=TIMEOUT)
    assert renamed.status_code == 200
    profile = requests.get(app.url + "/wx/profile/", headers=bearer(token), timeout=TIMEOUT)
    assert profile.json()["nickname"] == "美美🐼"
    sessions = requests.get(app.url + "/wx/sessions/", headers=bearer(token), timeout=TIMEOUT)
    assert [s["current"] for s in sessions.json()] == [True]
    second = login(app.url, "mei")  # SINGLE_SESSION: the first token is revoked
    assert status(app.url, token) == 401 and status(app.url, second) == 200
    response = requests.post(app.url + "/wx/logout/", headers=bearer(second), timeout=TIMEOUT)
    assert response.status_code == 204 and status(app.url, second) == 401


def test_concurrent_first_logins_make_one_user(app):
    def first_login(serial: int) -> int:
        response = requests.post(app.url + "/wx/login/", json={"code": f"nina.{serial}"},
                                 timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return requests.get(app.url + "/wx/profile/", headers=bearer(response.json()["token"]),
                            timeout=TIMEOUT).json().get("id", 0)

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(first_login, range(4)))
    assert len(ids - {0}) == 1
