"""Benchmark django-wxlogin against DRF TokenAuthentication, knox and simplejwt, side by side.

    python3 -m pip install -e ".[bench]" && python3 bench/run.py [--quick]

Everything runs in one go on one PostgreSQL database and one Redis database (``BENCH_*`` in
bench/settings.py; the Redis database is flushed), so the numbers that matter are the ratios
between schemes measured in the same run, interleaved round by round. Writes
bench/results/results.md, results.json and chart.png.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # first: it starts Django
    APPID,
    RESULTS,
    Spy,
    bench_authenticate,
    gunicorn,
    log_in,
    prepare_database,
    statements,
)

# isort: split
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.test import Client, RequestFactory, override_settings
from knox.models import AuthToken
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework_simplejwt.tokens import AccessToken

from bench.report import chart, environment, markdown
from bench.scaling import bench_scaling
from bench.urls import RAW_KEY, SCHEMES
from django_wxlogin.sessions import store
from django_wxlogin.sessions.entries import entry_name
from django_wxlogin.sessions.tokens import digest_key
from django_wxlogin.wechat import client as wechat
from django_wxlogin.wechat.fake import FakeWeChat

# --- authenticate() in process --------------------------------------------------------------

def credentials(client: wechat.WeChatClient) -> tuple[Any, dict[str, str]]:
    """One user with a credential for every scheme; the Authorization header of each."""
    login = log_in(client, "bench", 0)
    user = login.wxuser.user
    access = str(AccessToken.for_user(user))
    headers = {
        "wxlogin": f"Bearer {login.token}",
        "wxlogin_redis": f"Bearer {login.token}",
        "drf_token": f"Token {Token.objects.create(user=user).key}",
        "knox": f"Token {AuthToken.objects.create(user)[1]}",
        "simplejwt": f"Bearer {access}",
        "simplejwt_stateless": f"Bearer {access}",
    }
    with override_settings(WXLOGIN={**settings.WXLOGIN, "SINGLE_SESSION": False}):
        many = log_in(client, "many", 0)
        for serial in range(1, 100):
            log_in(client, "many", serial)
    headers["wxlogin_many"] = f"Bearer {many.token}"
    cache.client.get_client().set(cache.make_key(RAW_KEY), b"x" * 64)
    return user, headers


def authenticate_calls(headers: dict[str, str]) -> dict[str, Callable[[], Any]]:
    factory = RequestFactory()
    calls: dict[str, Callable[[], Any]] = {}
    for name, header in headers.items():
        auth_class = SCHEMES["wxlogin" if name == "wxlogin_many" else name]
        request = Request(factory.get("/", HTTP_AUTHORIZATION=header))
        calls[name] = (lambda a, r: lambda: a.authenticate(r))(auth_class(), request)
    raw, key = cache.client.get_client(), cache.make_key(RAW_KEY)
    calls["raw_redis"] = lambda: raw.get(key)
    return calls




# --- HTTP through gunicorn ------------------------------------------------------------------

def bench_http(headers: dict[str, str], requests_per_scheme: int, budget: float
               ) -> dict[str, Any]:
    """A fixed number of sequential keep-alive GETs per scheme, interleaved in rounds, within
    a time budget: requests/s and p50/p99 latency."""
    paths = {name: f"/{name}/" for name in (*SCHEMES, "raw_redis")}
    latencies: dict[str, list[float]] = {name: [] for name in paths}
    with gunicorn() as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        def get(name: str) -> None:
            conn.request("GET", paths[name], headers={"Authorization": headers.get(name, "")})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{name}: HTTP {response.status}")

        for name in paths:
            for _ in range(50):
                get(name)
        deadline = time.monotonic() + budget
        batch = max(1, requests_per_scheme // 20)
        while min(map(len, latencies.values())) < requests_per_scheme \
                and time.monotonic() < deadline:
            order = list(paths)
            random.shuffle(order)
            for name in order:
                for _ in range(batch):
                    started = time.perf_counter()
                    get(name)
                    latencies[name].append(time.perf_counter() - started)
        conn.close()
    results = {}
    for name, values in latencies.items():
        values.sort()
        results[name] = {
            "requests": len(values),
            "rps": len(values) / sum(values),
            "p50_ms": values[len(values) // 2] * 1e3,
            "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))] * 1e3,
        }
    return results


# --- login ----------------------------------------------------------------------------------

def bench_login(client: wechat.WeChatClient, count: int) -> dict[str, Any]:
    """Returning users logging in: queries and cache round trips of ``users.login`` and of
    the whole ``POST login/``, and logins/s of the latter against the fake WeChat."""
    names = [f"returning{i}" for i in range(20)]
    for name in names:
        log_in(client, name, 0)
    spy = Spy()
    with statements() as queries, spy.watching():
        log_in(client, names[0], 1)
    http_client = Client()
    serial = iter(range(2, 10**9))

    def post() -> None:
        code = f"{random.choice(names)}.{next(serial)}"
        response = http_client.post("/wx/login/", {"code": code}, content_type="application/json")
        if response.status_code != 200:
            raise RuntimeError(f"login: HTTP {response.status_code}")

    post()
    view_spy = Spy()
    with statements() as view_queries, view_spy.watching():
        post()
    started = time.perf_counter()
    for _ in range(count):
        post()
    elapsed = time.perf_counter() - started
    return {
        "queries": len(queries),
        "statements": [s[:60] for s in queries],
        "round_trips": spy.round_trips,
        "commands": spy.commands,
        "view_queries": len(view_queries),
        "view_round_trips": view_spy.round_trips,
        "view_commands": view_spy.commands,
        "logins_per_s": count / elapsed,
    }


# --- memory ---------------------------------------------------------------------------------

def bench_memory(client: wechat.WeChatClient) -> dict[str, Any]:
    """MEMORY USAGE of what a session adds, for a user with a 7-digit primary key and an
    18-character appid (key lengths decide Redis's allocation classes)."""
    user = get_user_model().objects.create(pk=1234567, username="wx_" + "0" * 24)
    user.set_unusable_password()
    user.save()
    realistic = "wx0123456789abcdef"
    with transaction.atomic():
        _, row = store.issue(user, appid=realistic)
    with transaction.atomic():
        _, second = store.issue(user, appid=realistic)  # SINGLE_SESSION: replaces the first
    raw = cache.client.get_client()

    keys = {kind: cache.make_key(entry_name(kind, user.pk, key)) for kind, key in
            (("s", digest_key(second.digest)), ("n", ""), ("u", ""))}
    sizes = {kind: raw.memory_usage(key, samples=0) or 0 for kind, key in keys.items()}
    lengths = {kind: raw.strlen(key) for kind, key in keys.items()}
    return {"bytes": sizes, "value_lengths": lengths, "per_session": sizes["s"],
            "per_user": sizes["n"] + sizes["u"], "one_session_user": sum(sizes.values()),
            "first_session_deleted": not raw.exists(
                cache.make_key(entry_name("s", user.pk, digest_key(row.digest))))}




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds and at most 100k sessions (a smoke run)")
    parser.add_argument("--max-sessions", type=int, default=1_000_000)
    args = parser.parse_args()
    quick = args.quick
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000)
             if n <= (100_000 if quick else args.max_sessions)]
    random.seed(1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    print("preparing the database", flush=True)
    prepare_database()
    with FakeWeChat({APPID: settings.WXLOGIN["SECRET"]}) as fake:
        settings.WXLOGIN["API_BASE_URL"] = fake.url
        client = wechat.client()
        _, headers = credentials(client)
        print("authenticate() in process", flush=True)
        auth = bench_authenticate(authenticate_calls(headers), rounds=40 if quick else 200,
                                  per_round=50)
        print("HTTP through gunicorn", flush=True)
        http_ = bench_http(headers, requests_per_scheme=300 if quick else 3000,
                           budget=60 if quick else 240)
        print("login", flush=True)
        login = bench_login(client, count=100 if quick else 500)
        print("memory", flush=True)
        memory = bench_memory(client)
        print("scaling", flush=True)
        scaling = bench_scaling(client, sizes)
    for row in auth.values():
        row.pop("rounds")
    results = {"date": time.strftime("%Y-%m-%d"), "mode": "quick" if quick else "full",
               "environment": environment(), "authenticate": auth, "http": http_,
               "login": login, "memory": memory, "scaling": scaling}
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "results.md").write_text(markdown(results))
    chart(results, RESULTS / "chart.png")
    cache.client.get_client().flushdb(asynchronous=True)  # a million keys
    print((RESULTS / "results.md").read_text())


if __name__ == "__main__":
    main()
