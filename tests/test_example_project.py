"""The example project under gunicorn, driven by README's own curl examples."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .services import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
LOGIN = (
    'TOKEN=$(curl -s -X POST http://127.0.0.1:8000/wx/login/ -H "Content-Type: application/json" '
    "-d \"{\\\"code\\\": \\\"readme.$RANDOM$RANDOM\\\"}\" "
    "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')"
)


def readme_curl_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    # Blocks that start servers of their own (runserver, a shared fake) are run by hand.
    return [b for b in blocks if "curl" in b and "127.0.0.1:8000" in b and "runserver" not in b]


@pytest.fixture(scope="module")
def example_server(tmp_path_factory):
    """gunicorn serving example_project.wsgi:application, SQLite, Redis, the built-in fake."""
    directory = tmp_path_factory.mktemp("example")
    redis_server = RedisServer(str(directory))
    redis_server.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WXLOGIN_"))}
        env.update(DATABASE_URL=f"sqlite:///{directory}/db.sqlite3", REDIS_URL=redis_server.url,
                   PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="example_project.settings")
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True, timeout=120)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=directory, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    requests.get(url + "/wx/login/", timeout=1)
                    break
                except requests.RequestException:  # not listening yet, or a worker booting
                    time.sleep(0.1)
            yield url, directory
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:  # a failed set-up leaves no server behind
        redis_server.kill()


def test_readme_has_curl_examples():
    assert len(readme_curl_blocks()) >= 6


@pytest.mark.parametrize("index", range(len(readme_curl_blocks())))
def test_readme_curl_examples_work_as_written(example_server, index):
    url, directory = example_server
    block = readme_curl_blocks()[index]
    # Each block runs in a fresh shell with a token, and any HTTP error fails it.
    script = "set -euo pipefail\n" + LOGIN + "\n" + block
    script = script.replace("http://127.0.0.1:8000", url)
    script = script.replace("curl -s", "curl -s -S --fail-with-body")
    result = subprocess.run(["bash", "-c", script], cwd=directory, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, f"{block}\n---\n{result.stdout}\n{result.stderr}"


def test_login_through_gunicorn(example_server):
    url, _ = example_server
    response = requests.post(url + "/wx/login/", json={"code": "gina.1"}, timeout=5)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    token = response.json()["token"]
    profile = requests.get(url + "/wx/profile/", headers={"Authorization": f"Bearer {token}"},
                           timeout=5)
    assert profile.status_code == 200
    chinese = requests.post(url + "/wx/logout/", headers={"Authorization": "Bearer x",
                            "Accept-Language": "zh-hans"}, timeout=5)
    assert chinese.status_code == 401 and chinese.json()["code"] == "invalid_token"
