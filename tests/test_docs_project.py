"""README's and the quick start's "add it to your project", pasted in order by a newcomer: in a
copy of the clone and a brand-new virtualenv, the install line (the package from the clone;
the quick start's wheel too), the settings and urls snippets appended to a project made by
``startproject``, the development block (placeholder variables exported, migrate, check, the
fake WeChat, runserver), then the curl login block, logged in."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import time
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

import django_wxlogin

from .docs_blocks import DOCS, ROOT, code_blocks
from .services import RedisServer, free_port

SOURCES = [ROOT / "README.md", DOCS / "en" / "quickstart.md"]
# What a clone holds that the copy does not need.
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "node_modules", "site", "build", "dist",
                                    "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache")


def snippets(page: Path, file_name: str) -> list[str]:
    """The page's Python blocks meant for ``file_name`` (their first line says so)."""
    return [b for b in code_blocks(page, "python") if b.startswith(f"# {file_name}")]


def shell_block(page: Path, marker: str) -> str:
    """The page's one shell block containing ``marker``."""
    (block,) = [b for b in code_blocks(page, "sh") if marker in b]
    return block


@pytest.fixture(scope="module")
def newcomer_env(tmp_path_factory) -> dict[str, str]:
    """A brand-new virtualenv, activated: its python3 first on PATH, nothing of ours set."""
    directory = tmp_path_factory.mktemp("venv")
    venv.create(directory, with_pip=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "WXLOGIN_", "PYTHON", "VIRTUAL_ENV", "TEST_"))}
    env.update(VIRTUAL_ENV=str(directory), PATH=f"{directory}/bin:{env['PATH']}",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def run(script: str, cwd: Path, env: dict[str, str], timeout: int = 600) -> str:
    result = subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{script}\n---\n{result.stdout}\n{result.stderr}"
    return result.stdout


@contextlib.contextmanager
def pasted(script: str, cwd: Path, env: dict[str, str], url: str) -> Iterator[None]:
    """A block that ends in a server, pasted into a terminal; until it answers ``url``."""
    log = cwd / "terminal.log"
    with log.open("w") as output:
        process = subprocess.Popen(["bash", "-c", "set -euo pipefail\n" + script], cwd=cwd,
                                   env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        for _ in range(600):  # bounded: 60 s
            if process.poll() is not None:
                raise AssertionError(f"{script}\n---\nexited:\n{log.read_text()}")
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"{url} never answered:\n{log.read_text()}")
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_a_newcomer_pastes_the_page_and_logs_in(source: Path, tmp_path: Path, newcomer_env):
    settings_snippets, urls_snippets = snippets(source, "settings.py"), snippets(source, "urls.py")
    assert settings_snippets and urls_snippets
    clone = tmp_path / "django-wxlogin"
    shutil.copytree(ROOT, clone, ignore=NOT_COPIED)
    env = dict(newcomer_env)

    install = shell_block(source, "startproject")
    assert "pip install django-wxlogin\n" not in install  # not published yet
    run(install, clone, env)
    project = tmp_path / "mysite"
    assert (project / "manage.py").exists()
    if source.name == "quickstart.md":
        wheel = f"django_wxlogin-{django_wxlogin.__version__}-py3-none-any.whl"
        assert f"dist/{wheel}" in source.read_text()
        run(shell_block(source, "build --wheel"), clone, env)
        run(f"python3 -m pip install -q {wheel}", clone / "dist", env)

    fake_port, server_port = free_port(), free_port()
    with (project / "mysite" / "settings.py").open("a") as settings:
        for snippet in settings_snippets:  # the fake's port is the one free here
            settings.write("\n" + snippet.replace("127.0.0.1:8090", f"127.0.0.1:{fake_port}"))
    with (project / "mysite" / "urls.py").open("a") as urlconf:
        urlconf.write("".join("\n" + snippet for snippet in urls_snippets))

    development = shell_block(source, "export WXLOGIN_APPID")
    development = development.replace("--port 8090", f"--port {fake_port}").replace(
        "manage.py runserver", f"manage.py runserver 127.0.0.1:{server_port}")
    login = next(b for b in code_blocks(ROOT / "README.md", "sh") if "/wx/login/" in b)
    url = f"http://127.0.0.1:{server_port}"
    redis_server = RedisServer(str(tmp_path))
    redis_server.start()
    try:
        env["REDIS_URL"] = redis_server.url
        with pasted(development, project, env, url + "/wx/login/"):
            printed = run(login.replace("http://127.0.0.1:8000", url), project, env, timeout=60)
            assert '"openid"' in printed and "HTTP/1.1 204" in printed, printed
            round_trip(url, "".join(settings_snippets))
    finally:
        redis_server.kill()


def round_trip(url: str, settings: str) -> None:
    """Log in, use the token, log out; and what else the settings set up (locale, avatars)."""
    login = requests.post(f"{url}/wx/login/", json={"code": "alice.1"}, timeout=10)
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['token']}"}
    profile = requests.get(f"{url}/wx/profile/", headers=auth, timeout=10)
    assert profile.status_code == 200 and profile.json()["openid"] == login.json()["user"]["openid"]
    if "LocaleMiddleware" in settings:
        chinese = requests.get(f"{url}/wx/profile/", timeout=10,
                               headers={"Authorization": "Bearer x", "Accept-Language": "zh-hans"})
        assert chinese.status_code == 401 and not chinese.json()["detail"].isascii()
    if "MEDIA_ROOT" in settings:
        image = io.BytesIO()
        Image.new("RGB", (8, 8), "teal").save(image, "PNG")
        uploaded = requests.post(f"{url}/wx/profile/", headers=auth, timeout=10,
                                 files={"avatar": ("a.png", image.getvalue(), "image/png")})
        assert uploaded.status_code == 200, uploaded.text
        avatar = requests.get(uploaded.json()["avatar_url"], timeout=10)
        assert avatar.status_code == 200 and avatar.content == image.getvalue()
    assert requests.post(f"{url}/wx/logout/", headers=auth, timeout=10).status_code == 204
    assert requests.get(f"{url}/wx/profile/", headers=auth, timeout=10).status_code == 401
