"""A new project made with ``django-admin startproject``, given the "add it to your project"
snippets of README and the quick start exactly as written: it migrates, passes ``check``, and
logs in against the fake WeChat the docs tell you to run."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from .docs_blocks import DOCS, ROOT, code_blocks
from .services import RedisServer, free_port

SOURCES = [ROOT / "README.md", DOCS / "en" / "quickstart.md"]


def snippets(page: Path, file_name: str) -> list[str]:
    """The page's Python blocks meant for ``file_name`` (their first line says so)."""
    return [b for b in code_blocks(page, "python") if b.startswith(f"# {file_name}")]


def fake_command(page: Path) -> str:
    """The command the page gives to run the fake WeChat."""
    commands = re.findall(r"python3 -m django_wxlogin\.wechat\.fake --port \d+", page.read_text())
    assert commands, f"{page.name} does not say how to run the fake WeChat"
    return commands[0]


def wait_for(url: str) -> None:
    for _ in range(200):  # bounded: 20 s
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@contextlib.contextmanager
def running(command: list[str], cwd: Path, env: dict[str, str], url: str) -> Iterator[None]:
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for(url)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_snippets_make_a_new_project_log_in(source: Path, tmp_path: Path):
    settings_snippets, urls_snippets = snippets(source, "settings.py"), snippets(source, "urls.py")
    assert settings_snippets and urls_snippets
    subprocess.run([sys.executable, "-m", "django", "startproject", "mysite", str(tmp_path)],
                   check=True, timeout=60)
    fake_port, server_port = free_port(), free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    with (tmp_path / "mysite" / "settings.py").open("a") as settings:
        for snippet in settings_snippets:  # the fake's port is the one free here
            settings.write("\n" + snippet.replace("http://127.0.0.1:8090", fake_url))
    with (tmp_path / "mysite" / "urls.py").open("a") as urlconf:
        urlconf.write("".join("\n" + snippet for snippet in urls_snippets))

    redis_server = RedisServer(str(tmp_path))
    redis_server.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WXLOGIN_"))}
        env.update(REDIS_URL=redis_server.url, WXLOGIN_APPID="wx1234567890abcdef",
                   WXLOGIN_SECRET="docs-appsecret")
        manage = [sys.executable, "manage.py"]
        migrate = subprocess.run([*manage, "migrate", "-v0"], cwd=tmp_path, env=env,
                                 capture_output=True, text=True, timeout=120)
        assert migrate.returncode == 0, migrate.stderr
        check = subprocess.run([*manage, "check"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 0 and "no issues" in check.stdout, check.stdout + check.stderr
        fake = fake_command(source).replace("8090", str(fake_port)).split()
        server = [*manage, "runserver", "--noreload", f"127.0.0.1:{server_port}"]
        url = f"http://127.0.0.1:{server_port}"
        with running([sys.executable, *fake[1:]], tmp_path, env, fake_url), \
                running(server, tmp_path, env, url + "/wx/login/"):
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
