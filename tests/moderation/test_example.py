"""Over HTTP against the example project under gunicorn, with its fake WeChat and message push
in safe mode: a risky nickname appears in no answer, WeChat down or slow is no 5xx, an avatar is
unpublished until WeChat's pass is pushed and verified, and a forged push changes nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from django_wxlogin.wechat.fake import FakeWeChat

from ..push.conftest import AES_KEY, TOKEN
from ..services import RedisServer, free_port
from ..test_example_project import ROOT, example_env
from .conftest import BLUE, image


@pytest.fixture
def example(tmp_path) -> Iterator[tuple[str, Any]]:
    """The example on one gunicorn worker (its fake WeChat is per process: one knows every
    login), content checks on; its URL and its database."""
    redis_server = RedisServer(str(tmp_path))
    redis_server.start()
    env = example_env(tmp_path, {
        "REDIS_URL": redis_server.url, "DJANGO_SECRET_KEY": "example-content-checks-key",
        "WXLOGIN_FAKE_WECHAT": "1", "WXLOGIN_CONTENT_CHECKS": "wechat",
        "WXLOGIN_APPID": "wxexample00000001", "WXLOGIN_SECRET": "example-secret",
        "WXLOGIN_PUSH": f"main:{TOKEN}:{AES_KEY}"})
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "example_project.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert server.poll() is None, server.stderr.read().decode()  # type: ignore[union-attr]
            try:
                requests.get(url + "/wx/login/", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield url, sqlite3.connect(tmp_path / "db.sqlite3")
    finally:
        server.terminate()
        server.wait(timeout=30)
        redis_server.kill()


def _wait_for(predicate, what: str) -> None:
    for _ in range(200):
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"never: {what}")


def test_content_checks_over_http(example):
    url, db = example
    login = requests.post(f"{url}/wx/login/", json={"code": "ann.1"}, timeout=10)
    token = login.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    def profile() -> dict[str, Any]:
        return requests.get(f"{url}/wx/profile/", headers=auth, timeout=10).json()

    def nickname(value: str) -> requests.Response:
        return requests.patch(f"{url}/wx/profile/", headers=auth, json={"nickname": value},
                              timeout=15)

    assert nickname("Ann").json()["nickname"] == "Ann"
    risky = nickname("so risky")
    assert risky.status_code == 400 and risky.json()["code"] == "risky_content"
    assert "so risky" not in risky.text and "so risky" not in str(profile())
    for unsure in ("err.-1 Ann", "slow.6 Ann"):  # WeChat down, then slower than READ_TIMEOUT
        held = nickname(unsure)
        assert held.status_code == 200 and held.json()["nickname"] == "Ann"
        assert held.json()["pending"]["nickname"] == unsure
    assert db.execute("SELECT nickname FROM django_wxlogin_wxuser").fetchall() == [("Ann",)]

    def upload(color) -> dict[str, Any]:
        return requests.post(f"{url}/wx/profile/", headers=auth, timeout=10,
                             files={"avatar": ("a.png", image(color).read())}).json()

    def published() -> str:
        db.commit()  # a fresh read
        return db.execute("SELECT avatar_url FROM django_wxlogin_wxuser").fetchone()[0]

    # Blue: WeChat never answers. Unpublished; a forged pass changes nothing, a genuine one
    # (signed with the Token, encrypted with the key) publishes it.
    assert upload(BLUE)["pending"]["avatar"] is True
    trace_id = db.execute("SELECT trace_id FROM django_wxlogin_contentreview "
                          "WHERE status = 'pending' AND kind = 'avatar'").fetchone()[0]
    assert trace_id and published() == ""
    with FakeWeChat() as wechat:  # as WeChat: pushing to the example's receiver
        verdict = {"ToUserName": "gh_x", "FromUserName": "o", "CreateTime": int(time.time()),
                   "MsgType": "event", "Event": "wxa_media_check", "appid": "wxexample00000001",
                   "trace_id": trace_id, "version": 2, "result": {"suggest": "pass", "label": 100}}
        push_url = f"{url}/wx/push/main/"
        assert wechat.push(push_url, appid="wxexample00000001", message=verdict,
                           token="forged", encoding_aes_key=AES_KEY).status_code == 403
        assert published() == "" and profile()["pending"]["avatar"] is True
        assert wechat.push(push_url, appid="wxexample00000001", message=verdict, token=TOKEN,
                           encoding_aes_key=AES_KEY).status_code == 200
    first = published()
    assert first and profile()["avatar_url"] == first and not profile()["pending"]["avatar"]
    # Green: the example's own fake WeChat downloads it and pushes its pass.
    assert upload((0, 128, 0))["avatar_url"] == first
    _wait_for(lambda: published() not in ("", first), "the pushed pass published the avatar")
