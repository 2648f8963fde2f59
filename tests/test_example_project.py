"""The example project under gunicorn, driven by README's own curl examples."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
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


SETTINGS = re.compile(r"\b(WXLOGIN_[A-Z_]+)=([^\s:;,()]+)")


def readme_curl_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    # Blocks that start servers of their own (runserver, a shared fake) are run by hand.
    return [b for b in blocks if "curl" in b and "127.0.0.1:8000" in b and "runserver" not in b]


def block_settings(block: str) -> tuple[tuple[str, str], ...]:
    """The example project's settings a block asks for in its first line, a comment such as
    ``# With WXLOGIN_REQUIRE_ACCOUNT=true:``; () for the defaults."""
    first = block.splitlines()[0]
    return tuple(sorted(SETTINGS.findall(first))) if first.startswith("#") else ()


# How a developer (and the client libraries' tests) run the example under gunicorn: DEBUG on
# and the fake WeChat asked for; without them it is a production deploy (test_example_deploy).
DEVELOPMENT = {"DJANGO_DEBUG": "true", "WXLOGIN_FAKE_WECHAT": "1"}


def example_env(directory: Path, settings: dict[str, str]) -> dict[str, str]:
    """The environment of an example project in ``directory`` (SQLite there) with ``settings``:
    nothing of this process's own DJANGO_ and WXLOGIN_ variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WXLOGIN_"))}
    env.update(DATABASE_URL=f"sqlite:///{directory}/db.sqlite3", PYTHONPATH=str(ROOT),
               DJANGO_SETTINGS_MODULE="example_project.settings", **settings)
    return env


def start_gunicorn(directory: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """gunicorn with two workers serving the example from ``directory``; its process and URL,
    once it answers or has exited."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=directory, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if server.poll() is not None:
            break
        try:
            requests.get(url + "/wx/login/", timeout=1)
            break
        except requests.RequestException:  # not listening yet, or a worker booting
            time.sleep(0.1)
    return server, url


@contextlib.contextmanager
def serve_example(directory: Path, settings: dict[str, str]) -> Iterator[tuple[str, dict]]:
    """gunicorn serving example_project.wsgi:application with ``settings`` (environment
    variables), SQLite and a Redis of its own; its URL and environment."""
    redis_server = RedisServer(str(directory))
    redis_server.start()
    try:
        env = example_env(directory, {"REDIS_URL": redis_server.url, **settings})
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True, timeout=120)
        # README's blocks run from the repository root: "python3 manage.py ..." works there.
        (directory / "manage.py").symlink_to(ROOT / "manage.py")
        server, url = start_gunicorn(directory, env)
        try:
            yield url, env
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:  # a failed set-up leaves no server behind
        redis_server.kill()


@pytest.fixture(scope="module")
def example_servers(tmp_path_factory):
    """``get(settings)``: an example server with those settings, started on first use; its
    URL, environment and working directory."""
    with contextlib.ExitStack() as stack:
        servers: dict[tuple[tuple[str, str], ...], tuple[str, dict, Path]] = {}

        def get(settings: tuple[tuple[str, str], ...] = ()) -> tuple[str, dict, Path]:
            if settings not in servers:
                directory = tmp_path_factory.mktemp("example")
                url, env = stack.enter_context(
                    serve_example(directory, {**DEVELOPMENT, **dict(settings)}))
                servers[settings] = url, env, directory
            return servers[settings]

        yield get


def test_readme_has_curl_examples():
    blocks = readme_curl_blocks()
    assert len(blocks) >= 6
    assert [block_settings(b) for b in blocks if block_settings(b)] == [
        (("WXLOGIN_REQUIRE_ACCOUNT", "true"),)]


@pytest.mark.parametrize("index", range(len(readme_curl_blocks())))
def test_readme_curl_examples_work_as_written(example_servers, index):
    block = readme_curl_blocks()[index]
    settings = block_settings(block)
    url, env, directory = example_servers(settings)
    if settings:
        # Other settings may refuse the WeChat login (REQUIRE_ACCOUNT) and the block show that
        # refusal on its way: no token first, HTTP errors allowed, but it must end logged in.
        script = "set -euo pipefail\n" + block
        script = script.replace("curl -s", "curl -s -S")
    else:
        # Each block runs in a fresh shell with a token, and any HTTP error fails it.
        script = "set -euo pipefail\n" + LOGIN + "\n" + block
        script = script.replace("curl -s", "curl -s -S --fail-with-body")
    script = script.replace("http://127.0.0.1:8000", url)
    result = subprocess.run(["bash", "-c", script], cwd=directory, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{block}\n---\n{result.stdout}\n{result.stderr}"
    if settings:
        assert "token" in json.loads(result.stdout.splitlines()[-1]), result.stdout


def test_login_through_gunicorn(example_servers):
    url, _, _ = example_servers()
    response = requests.post(url + "/wx/login/", json={"code": "gina.1"}, timeout=5)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    token = response.json()["token"]
    profile = requests.get(url + "/wx/profile/", headers={"Authorization": f"Bearer {token}"},
                           timeout=5)
    assert profile.status_code == 200
    chinese = requests.post(url + "/wx/logout/", headers={"Authorization": "Bearer x",
                            "Accept-Language": "zh-hans"}, timeout=5)
    assert chinese.status_code == 401 and chinese.json()["code"] == "invalid_token"
