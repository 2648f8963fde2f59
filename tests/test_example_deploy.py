"""The example project deployed as an operator would (gunicorn, no DJANGO_DEBUG): DEBUG off, the
real WeChat, Redis required, the fake and loopback WeChats refused, the schema for staff only.
Its development mode (runserver with DEBUG on) keeps the fake."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
import requests

from .services import RedisServer, free_port
from .test_example_project import ROOT, example_env, start_gunicorn

PRODUCTION = {"DJANGO_SECRET_KEY": "a-production-secret-key-of-the-operator",
              "WXLOGIN_APPID": "wx5f3c1e8d2b7a9046", "WXLOGIN_SECRET": "a-real-appsecret"}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _refused(tmp_path, env: dict[str, str]) -> str:
    """gunicorn's error output, once it has exited without serving (a failure if it serves)."""
    server, _ = start_gunicorn(tmp_path, env)
    try:
        assert server.wait(timeout=60) != 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return server.stderr.read().decode()


@pytest.fixture
def redis_url(tmp_path):
    server = RedisServer(str(tmp_path))
    server.start()
    yield server.url
    server.kill()


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10).text
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_gunicorn_without_django_debug_is_a_production_deploy(tmp_path, redis_url):
    env = example_env(tmp_path, {**PRODUCTION, "REDIS_URL": redis_url})
    assert _manage(env, "migrate", "-v0").returncode == 0
    created = _manage(env, "shell", "-c", "from django.contrib.auth.models import User; "
                      "User.objects.create_superuser('root', password='root-password-1')")
    assert created.returncode == 0, created.stderr
    server, url = start_gunicorn(tmp_path, env)
    try:
        assert server.poll() is None, server.stderr.read().decode()
        # DEBUG is off: no debug page listing the URLconf and the settings.
        missing = requests.get(url + "/no-such-page/", timeout=10)
        assert missing.status_code == 404 and "URLconf" not in missing.text
        # No fake WeChat: "alice.1" and "alice.attacker" are not logins; the real endpoint
        # (unreachable from here) is asked, never a fake on loopback.
        for code in ("alice.1", "alice.attacker"):
            login = requests.post(url + "/wx/login/", json={"code": code}, timeout=30)
            assert login.status_code == 503 and login.json()["code"] == "wechat_unavailable"
        # The schema and Swagger UI are for staff.
        for path in ("/api/schema/", "/api/docs/"):
            assert requests.get(url + path, timeout=10).status_code == 403
        staff = requests.Session()
        login_page = url + "/admin/login/"
        staff.post(login_page, data={"username": "root", "password": "root-password-1",
                                     "csrfmiddlewaretoken": _csrf(staff, login_page)},
                   headers={"Referer": login_page}, timeout=10)
        schema = staff.get(url + "/api/schema/", timeout=10,
                           headers={"Accept": "application/vnd.oai.openapi+json"})
        assert schema.status_code == 200 and "/wx/login/" in schema.json()["paths"]
        assert staff.get(url + "/api/docs/", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_without_redis_a_production_deploy_refuses_to_start(tmp_path):
    errors = _refused(tmp_path, example_env(tmp_path, PRODUCTION))
    assert "Set REDIS_URL when DJANGO_DEBUG is off" in errors


@pytest.mark.parametrize("settings", [
    {"WXLOGIN_API_BASE_URL": "http://127.0.0.1:8090"},
    {"WXLOGIN_API_BASE_URL": "http://localhost:8090", "DJANGO_DEBUG": "false"},
])
def test_a_loopback_wechat_stops_a_production_deploy(tmp_path, redis_url, settings):
    env = example_env(tmp_path, {**PRODUCTION, "REDIS_URL": redis_url, **settings})
    assert "wxlogin.E023" in _refused(tmp_path, env)
    deploy = _manage({**env, "DJANGO_DEBUG": "false"}, "check", "--deploy")
    assert deploy.returncode != 0 and "wxlogin.E023" in deploy.stderr


def test_check_deploy_passes_the_real_wechat(tmp_path, redis_url):
    env = example_env(tmp_path, {**PRODUCTION, "REDIS_URL": redis_url, "DJANGO_DEBUG": "false"})
    deploy = _manage(env, "check", "--deploy")
    assert "wxlogin." not in deploy.stderr + deploy.stdout
    shown = _manage(env, "shell", "-c", "from django_wxlogin.settings import wxlogin_settings; "
                    "print(wxlogin_settings.api_base_url)")
    assert shown.stdout.splitlines()[-1] == "https://api.weixin.qq.com"


def test_runserver_with_debug_keeps_the_fake_wechat_of_the_quick_start(tmp_path):
    env = example_env(tmp_path, {})  # README's quick start: no variables at all
    assert _manage(env, "migrate", "-v0").returncode == 0
    port = free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload",
                               f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                login = requests.post(f"http://127.0.0.1:{port}/wx/login/",
                                      json={"code": "alice.1"}, timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        assert login.status_code == 200 and login.json()["token"]
    finally:
        server.terminate()
        server.wait(timeout=10)
