"""Benchmark at scale: the session hot path on one Redis and on a 3-master Redis Cluster, side by
side in the same run.

    python3 -m pip install -e ".[bench,cluster]" && python3 bench/scale.py [--quick]

Starts a Redis Cluster of its own on loopback (three masters with a replica each, as the
deployment tests do) next to the single Redis of bench/settings.py (``BENCH_REDIS_URL``; that
database is flushed), on one PostgreSQL database, and measures interleaved round by round: warm
``authenticate()`` in process, an authenticated GET through gunicorn, and revoke-all of one user
with 10 cached sessions. Writes bench/results/scale.md and scale.json.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.deployments import RedisClusterNodes, running

TOPOLOGIES = {"default": "one Redis", "cluster": "Redis Cluster, 3 masters + 3 replicas"}


def topology_settings(alias: str, **extra: Any) -> dict[str, Any]:
    from django.conf import settings

    return {**settings.WXLOGIN, "CACHE_ALIAS": alias, **extra}


def tokens_per_topology(bench: Any, client: Any) -> dict[str, str]:
    from django.test import override_settings

    tokens = {}
    for alias in TOPOLOGIES:
        with override_settings(WXLOGIN=topology_settings(alias)):
            tokens[alias] = bench.log_in(client, f"scale{alias}", 0).token
    return tokens


def authenticate_calls(tokens: dict[str, str]) -> dict[str, Any]:
    from django.core.cache import caches

    from django_wxlogin.sessions import store

    calls: dict[str, Any] = {}
    for alias, prefix in (("default", ""), ("cluster", "_cluster")):
        conf = topology_settings(alias)
        calls[f"wxlogin{prefix}"] = (lambda t, c: lambda: store.authenticate(t, c))(
            tokens[alias], conf)
        raw, key = caches[alias].client.get_client(), caches[alias].make_key("bench:raw")
        raw.set(key, b"x" * 64)
        calls[f"raw{prefix}"] = (lambda r, k: lambda: r.get(k))(raw, key)
    return calls


def bench_http(bench: Any, tokens: dict[str, str], requests_each: int) -> dict[str, Any]:
    """Keep-alive GETs of an authenticated view, one gthread worker per topology, alternating
    batches: requests/s and p50/p99."""
    latencies: dict[str, list[float]] = {alias: [] for alias in TOPOLOGIES}
    connections = {}
    with contextlib.ExitStack() as servers:
        for alias in TOPOLOGIES:
            os.environ["BENCH_CACHE_ALIAS"] = alias
            port = servers.enter_context(bench.gunicorn())
            connections[alias] = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        os.environ.pop("BENCH_CACHE_ALIAS")

        def get(alias: str) -> float:
            started = time.perf_counter()
            connections[alias].request("GET", "/wxlogin/",
                                       headers={"Authorization": f"Bearer {tokens[alias]}"})
            response = connections[alias].getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{alias}: HTTP {response.status}")
            return time.perf_counter() - started

        for alias in TOPOLOGIES:
            for _ in range(50):
                get(alias)
        batch = max(1, requests_each // 20)
        while min(map(len, latencies.values())) < requests_each:
            for alias in random.sample(list(TOPOLOGIES), len(TOPOLOGIES)):
                latencies[alias] += [get(alias) for _ in range(batch)]
    results = {}
    for alias, values in latencies.items():
        values.sort()
        results[alias] = {"requests": len(values), "rps": len(values) / sum(values),
                          "p50_ms": values[len(values) // 2] * 1e3,
                          "p99_ms": values[int(len(values) * 0.99)] * 1e3}
    return results


def bench_revoke_all(bench: Any, client: Any, repeats: int) -> dict[str, Any]:
    """Revoke-all of a user with 10 live, cached sessions: median ms, and Redis round trips."""
    from django.db import transaction
    from django.test import override_settings

    from django_wxlogin.models import RevokeReason
    from django_wxlogin.sessions import store
    from django_wxlogin.sessions.revocation import revoke_user
    from django_wxlogin.sessions.tokens import user_reference

    timings: dict[str, list[float]] = {alias: [] for alias in TOPOLOGIES}
    trips: dict[str, int] = {}
    for serial in range(repeats):
        for alias in random.sample(list(TOPOLOGIES), len(TOPOLOGIES)):
            conf = topology_settings(alias, SINGLE_SESSION=False)
            with override_settings(WXLOGIN=conf):
                tokens = [bench.log_in(client, f"revoke{alias}{serial}", n).token
                          for n in range(10)]
                for token in tokens:
                    store.authenticate(token, conf)
                spy = bench.Spy()
                with spy.watching():
                    started = time.perf_counter()
                    with transaction.atomic():
                        revoked = revoke_user(user_reference(tokens[0]),
                                                    RevokeReason.LOGOUT_ALL)
                    timings[alias].append(time.perf_counter() - started)
                assert revoked == 10
                trips[alias] = spy.round_trips
    return {alias: {"ms": statistics.median(values) * 1e3, "round_trips": trips[alias]}
            for alias, values in timings.items()}


def markdown(results: dict[str, Any]) -> str:
    auth, http_, revoke = results["authenticate"], results["http"], results["revoke_all"]
    lines = [
        "# django-wxlogin at scale: one Redis and a Redis Cluster",
        "",
        f"{results['date']}, {results['mode']} run, one PostgreSQL, "
        f"Redis {results['redis']}, redis-py {results['redis_py']}, {os.cpu_count()} CPUs, "
        "everything on loopback. Medians of interleaved rounds: compare within a row.",
        "",
        "## Warm `authenticate()` per call, in process",
        "",
        "| | one Redis | Redis Cluster |",
        "|---|---:|---:|",
        f"| one raw GET (floor), µs | {auth['raw']['us']:.1f} | {auth['raw_cluster']['us']:.1f} |",
        f"| `authenticate()`, µs | {auth['wxlogin']['us']:.1f} | "
        f"{auth['wxlogin_cluster']['us']:.1f} |",
        f"| Redis round trips per call | {auth['wxlogin']['round_trips']:g} | "
        f"{auth['wxlogin_cluster']['round_trips']:g} |",
        f"| DB queries per call | {auth['wxlogin']['queries']:g} | "
        f"{auth['wxlogin_cluster']['queries']:g} |",
        "",
        "## Authenticated GET through gunicorn (one gthread worker each, keep-alive)",
        "",
        "| | requests | requests/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for alias, label in TOPOLOGIES.items():
        row = http_[alias]
        lines.append(f"| {label} | {row['requests']} | {row['rps']:.0f} | {row['p50_ms']:.2f} "
                     f"| {row['p99_ms']:.2f} |")
    lines += ["", "## Revoke-all of one user with 10 cached sessions (commit included)", "",
              "| | ms | Redis round trips |", "|---|---:|---:|"]
    for alias, label in TOPOLOGIES.items():
        lines.append(f"| {label} | {revoke[alias]['ms']:.2f} | {revoke[alias]['round_trips']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args()
    random.seed(1)
    with tempfile.TemporaryDirectory() as directory, \
            running(RedisClusterNodes(Path(directory))) as cluster:
        os.environ["BENCH_REDIS_CLUSTER_URLS"] = ",".join(cluster.urls[:3])
        import redis
        from django.conf import settings
        from django.core.cache import caches

        from bench import harness as bench  # Django starts here, with both caches
        from django_wxlogin.wechat.fake import FakeWeChat

        bench.prepare_database()
        caches["cluster"].clear()
        with FakeWeChat({bench.APPID: settings.WXLOGIN["SECRET"]}) as fake:
            settings.WXLOGIN["API_BASE_URL"] = fake.url
            client = bench.wechat.client()
            tokens = tokens_per_topology(bench, client)
            print("authenticate() in process", flush=True)
            auth = bench.bench_authenticate(authenticate_calls(tokens),
                                            rounds=40 if args.quick else 200, per_round=50)
            print("HTTP through gunicorn", flush=True)
            http_ = bench_http(bench, tokens, 300 if args.quick else 3000)
            print("revoke-all", flush=True)
            revoke = bench_revoke_all(bench, client, 5 if args.quick else 20)
        for row in auth.values():
            row.pop("rounds")
        if auth["wxlogin"]["queries"] or auth["wxlogin_cluster"]["queries"]:
            raise RuntimeError(f"authenticate() was not served from the cache: {auth}")
        results = {"date": time.strftime("%Y-%m-%d"), "mode": "quick" if args.quick else "full",
                   "redis": caches["default"].client.get_client().info("server")["redis_version"],
                   "redis_py": redis.__version__, "authenticate": auth, "http": http_,
                   "revoke_all": revoke}
        caches["default"].client.get_client().flushdb()
    bench.RESULTS.mkdir(parents=True, exist_ok=True)
    (bench.RESULTS / "scale.json").write_text(json.dumps(results, indent=2) + "\n")
    (bench.RESULTS / "scale.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
