"""A person with everything the package can hold about them, and the search for any trace of
them in every table, in the cache and in the media folder."""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from PIL import Image
from rest_framework.test import APIClient

from django_wxlogin.models import WxUser

from ..conftest import bearer, fresh_code
from ..push.conftest import push_settings, push_url  # noqa: F401  (fixtures)

IP = "203.0.113.77"  # the person's address: found nowhere once they are erased
AGENT = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50 PersonAgent"


@dataclass
class Person:
    user_pk: Any
    token: str
    openid: str
    unionid: str
    username: str
    traces: list[str]  # every value that must be gone
    avatar_path: Path


def png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, "PNG")
    out.name = "a.png"
    out.seek(0)
    return out


def client_of(token: str | None = None) -> APIClient:
    client = APIClient(REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT)
    if token:
        client.credentials(**bearer(token))
    return client


def make_person(name: str) -> Person:
    """``name`` logged in from ``IP`` twice, with a nickname, an avatar file, a phone number,
    a wrong password counted against its username and a bind ticket of a second app."""
    code = fresh_code(name)
    answer = client_of().post("/wx/login/", {"code": code}, format="json")
    assert answer.status_code == 200, answer.content
    token = answer.json()["token"]
    client = client_of(token)
    nickname = f"Nick{name}Zz"
    assert client.patch("/wx/profile/", {"nickname": nickname}, format="json").status_code == 200
    assert client.post("/wx/profile/", {"avatar": png()}, format="multipart").status_code == 200
    digits = f"139{time.time_ns() // 1000 % 10**8:08d}"  # the fake takes each code once
    assert client.post("/wx/phone/", {"code": f"phone.{digits}"},
                       format="json").status_code == 200
    wxuser = WxUser.objects.get(nickname=nickname)
    phone = wxuser.phone_number
    assert digits in phone
    username = wxuser.user.get_username()
    client_of().post("/wx/login/password/", {"username": username, "password": "wrong"},
                     format="json")
    return Person(user_pk=wxuser.user_id, token=token, openid=wxuser.openid,
                  unionid=wxuser.unionid or "", username=username,
                  traces=[wxuser.openid, wxuser.unionid or "", nickname, phone,
                          wxuser.avatar_file, username, IP],
                  avatar_path=Path(settings.MEDIA_ROOT) / wxuser.avatar_file)


def traces_in_tables(needles: list[str]) -> list[str]:
    """Every (table, needle) where a row of any table holds one of ``needles``."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            text = "\n".join(repr(row) for row in cursor.fetchall())
            found += [f"{table}: {n}" for n in needles if n and n in text]
    return found


def traces_in_cache(needles: list[str]) -> list[str]:
    """Every key or string value in the cache's Redis database holding one of ``needles``."""
    raw = cache.client.get_client()
    found = []
    for name in raw.scan_iter(count=1000):
        value = raw.get(name) if raw.type(name) == b"string" else b""
        blob = name + b"\n" + (value or b"")
        found += [f"{name!r}: {n}" for n in needles if n and n.encode() in blob]
    return found


def traces_in_media(needles: list[str]) -> list[str]:
    found = []
    for folder, _, files in os.walk(settings.MEDIA_ROOT):
        for file in files:
            path = os.path.join(folder, file)
            found += [path for n in needles if n and n in path]
    return found


def traces(person: Person) -> list[str]:
    return (traces_in_tables(person.traces) + traces_in_cache(person.traces)
            + traces_in_media(person.traces))


@pytest.fixture
def person() -> Person:
    return make_person("pat")
