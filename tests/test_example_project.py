"""The example project under gunicorn, driven by the curl examples of README and the docs."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .docs_blocks import ROOT, TRANSLATIONS, block_settings, code_blocks, runnable
from .services import RedisServer, free_port

# The pages whose shell blocks run against the example project: README and the English docs
# (tests/test_docs.py checks that each translation runs the very same commands).
PAGES = [english for english, _ in TRANSLATIONS]
KNOWN_SETTINGS = {"WXLOGIN_REQUIRE_ACCOUNT", "WXLOGIN_APPS"}  # those the example project reads


def page_blocks(page: Path) -> list[str]:
    """A page's blocks that run, in order, against the example project as it starts."""
    return [b for b in code_blocks(page, "sh") if runnable(b) and not block_settings(b)]


def settings_blocks() -> list[str]:
    """Blocks that need the example project restarted with other settings."""
    return [b for page in PAGES for b in code_blocks(page, "sh")
            if runnable(b) and block_settings(b)]


def run_script(script: str, url: str, env: dict, directory: Path) -> subprocess.CompletedProcess:
    """A docs script in bash, as pasted into one terminal, with this server's URL and free ports
    for the servers it starts itself; whatever it leaves running is stopped."""
    script = script.replace("http://127.0.0.1:8000", url)
    for port in ("8001", "8090"):  # a second server, a shared fake WeChat
        script = re.sub(rf"(?<=127\.0\.0\.1:){port}\b|(?<=--port ){port}\b|(?<=runserver ){port}\b",
                        str(free_port()), script)
    process = subprocess.Popen(["bash", "-c", script], cwd=directory, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=240)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def last_json(output: str) -> dict:
    """The last JSON object of curl output (answers follow each other without a newline)."""
    decoder, position, found = json.JSONDecoder(), 0, {}
    while (start := output.find("{", position)) != -1:
        try:
            found, position = decoder.raw_decode(output, start)
        except ValueError:
            position = start + 1
    return found


# How a developer (and the client libraries' tests) run the example under gunicorn: DEBUG on
# and the fake WeChat asked for; without them it is a production deploy (test_example_deploy).
DEVELOPMENT = {"DJANGO_DEBUG": "true", "WXLOGIN_FAKE_WECHAT": "1"}


def example_env(directory: Path, settings: dict[str, str]) -> dict[str, str]:
    """The environment of an example project in ``directory`` (SQLite there, unless
    ``settings`` name a DATABASE_URL) with ``settings``:
    nothing of this process's own DJANGO_ and WXLOGIN_ variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WXLOGIN_"))}
    env.update(DATABASE_URL=f"sqlite:///{directory}/db.sqlite3", PYTHONPATH=str(ROOT),
               DJANGO_SETTINGS_MODULE="example_project.settings")
    env.update(settings)
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


def test_the_docs_have_curl_examples():
    counts = {page.name: len(page_blocks(page)) for page in PAGES}
    assert counts["README.md"] >= 1 and counts["quickstart.md"] >= 1
    assert counts["api.md"] >= 12 and counts["operations.md"] >= 1
    asked = {name for b in settings_blocks() for name, _ in block_settings(b)}
    assert asked and asked <= KNOWN_SETTINGS, asked


@pytest.mark.parametrize("page", [p for p in PAGES if page_blocks(p)], ids=lambda p: p.name)
def test_curl_examples_work_pasted_in_order(example_servers, page):
    """A page's blocks, pasted in order into one fresh terminal next to the running example
    project: each works, and none spoils a later one (any HTTP error fails, except where a
    block prints the status itself with ``-w``)."""
    url, env, directory = example_servers()
    script = "set -euo pipefail\n" + "\n".join(page_blocks(page))
    script = re.sub(r"curl -s (?!-w)", "curl -s -S --fail-with-body ", script)
    result = run_script(script, url, env, directory)
    assert result.returncode == 0, f"{page.name}\n---\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("index", range(len(settings_blocks())))
def test_curl_examples_with_other_settings_work(example_servers, index):
    """Blocks for the example project restarted with other settings: such settings may refuse
    a WeChat login (REQUIRE_ACCOUNT) and the block show the refusal on its way, so HTTP errors
    are allowed, but the block must end logged in."""
    block = settings_blocks()[index]
    url, env, directory = example_servers(block_settings(block))
    result = run_script("set -euo pipefail\n" + block.replace("curl -s", "curl -s -S"),
                        url, env, directory)
    assert result.returncode == 0, f"{block}\n---\n{result.stdout}\n{result.stderr}"
    assert "token" in last_json(result.stdout), result.stdout


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
