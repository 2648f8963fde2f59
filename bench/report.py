"""The benchmark's results as Markdown (bench/results/results.md) and as a chart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django
import redis
from django.core.cache import cache
from django.db import connection

LABELS = {
    "raw_redis": "one raw Redis GET (floor)",
    "wxlogin": "django-wxlogin WxTokenAuthentication",
    "wxlogin_redis": "django-wxlogin, LOCAL_CACHE off (one MGET per request)",
    "wxlogin_many": "django-wxlogin, user with 100 live sessions",
    "drf_token": "DRF TokenAuthentication",
    "knox": "django-rest-knox TokenAuthentication",
    "simplejwt": "simplejwt JWTAuthentication",
    "simplejwt_stateless": "simplejwt JWTStatelessUserAuthentication (no revocation)",
}


def environment() -> dict[str, str]:
    import platform

    import django_redis
    import knox
    import rest_framework
    import rest_framework_simplejwt

    info = cache.client.get_client().info("server")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "python": platform.python_version(), "django": django.get_version(),
        "djangorestframework": rest_framework.__version__,
        "django-rest-knox": getattr(knox, "__version__", "?"),
        "simplejwt": getattr(rest_framework_simplejwt, "__version__", "?"),
        "django-redis": django_redis.__version__, "redis-py": redis.__version__,
        "hiredis": str(redis.utils.HIREDIS_AVAILABLE), "redis": info["redis_version"],
        "postgresql": postgres, "cpus": str(os.cpu_count()),
    }


def markdown(results: dict[str, Any]) -> str:
    auth, http_, login, memory = (results[k] for k in ("authenticate", "http", "login", "memory"))
    wx, raw = auth["wxlogin"]["us"], auth["raw_redis"]["us"]
    lines = [
        "# django-wxlogin benchmark",
        "",
        f"{results['date']}, {results['mode']} run; "
        + ", ".join(f"{k} {v}" for k, v in results["environment"].items()) + ".",
        "Medians of interleaved rounds in one run: compare the ratios, not the absolute "
        "times (the machine is shared and noisy).",
        "",
        "## `authenticate()` per call, warm, in process",
        "",
        "| scheme | µs/call | × django-wxlogin | DB queries/call | Redis round trips/call |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("raw_redis", "wxlogin", "wxlogin_redis", "wxlogin_many", "drf_token", "knox",
                 "simplejwt", "simplejwt_stateless"):
        row = auth[name]
        lines.append(f"| {LABELS[name]} | {row['us']:.1f} | {row['vs_wxlogin']:.2f} | "
                     f"{row['queries']:g} | {row['round_trips']:.3g} |")
    lines += [
        "",
        f"django-wxlogin is {auth['drf_token']['vs_wxlogin']:.1f}× faster than DRF "
        f"TokenAuthentication, {auth['knox']['vs_wxlogin']:.1f}× faster than knox, "
        f"{auth['simplejwt']['vs_wxlogin']:.1f}× faster than simplejwt JWTAuthentication, and "
        f"takes {1 / auth['raw_redis']['vs_wxlogin']:.2f}× the time of one raw Redis GET "
        f"({wx:.1f} vs {raw:.1f} µs). Served from the in-process layer, it takes "
        f"{wx / auth['simplejwt_stateless']['us']:.2f}× the time of simplejwt's stateless "
        f"class, which cannot revoke; with LOCAL_CACHE off, "
        f"{auth['wxlogin_redis']['us'] / auth['simplejwt_stateless']['us']:.2f}×.",
        "",
        "## Authenticated GET through gunicorn (one gthread worker, keep-alive, loopback)",
        "",
        "| scheme | requests | requests/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("raw_redis", "wxlogin", "wxlogin_redis", "drf_token", "knox", "simplejwt",
                 "simplejwt_stateless"):
        row = http_[name]
        label = LABELS[name] if name != "raw_redis" else "no authentication, one Redis GET"
        lines.append(f"| {label} | {row['requests']} | {row['rps']:.0f} | "
                     f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} |")
    lines += [
        "",
        "## Login of a returning user (SINGLE_SESSION)",
        "",
        f"- `users.login()`: {login['queries']} queries in one transaction: "
        + "; ".join(f"`{s}…`" for s in login["statements"]),
        f"- session cache: {login['round_trips']} round trips "
        f"({' '.join(login['commands'])}): the generation read before the commit, "
        "one compare-and-set after it",
        f"- whole `POST login/` (code lock, fake WeChat over keep-alive HTTP, serializers): "
        f"{login['view_queries']} queries, {login['view_round_trips']} Redis "
        f"round trips ({' '.join(login['view_commands'])}), "
        f"{login['logins_per_s']:.0f} logins/s in one process",
        "",
        "## Redis memory (`MEMORY USAGE`), 7-digit user id, 18-character appid",
        "",
        "| entry | value bytes | MEMORY USAGE |",
        "|---|---:|---:|",
        f"| `s:` the session (one per live session) | {memory['value_lengths']['s']} | "
        f"{memory['bytes']['s']} |",
        f"| `n:` the user's generation (one per user) | {memory['value_lengths']['n']} | "
        f"{memory['bytes']['n']} |",
        f"| `u:` the user (one per user) | {memory['value_lengths']['u']} | "
        f"{memory['bytes']['u']} |",
        "",
        f"Each live session adds {memory['per_session']} bytes; a user adds "
        f"{memory['per_user']} once, so a user with one session holds "
        f"{memory['one_session_user']} bytes. A new login deleted the session it replaced: "
        f"{memory['first_session_deleted']}.",
        "",
        "## Revoke-all and purge as the sessions table grows",
        "",
        "| sessions | revoke-all of one user (10 cached sessions), ms | expired rows purged "
        "| purge s | rows/s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in results["scaling"]:
        lines.append(f"| {row['sessions']:,} | {row['revoke_all_ms']:.2f} | {row['purged']:,} "
                     f"| {row['purge_s']:.1f} | {row['purge_rows_per_s']:,.0f} |")
    lines.append("")
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    auth, http_ = results["authenticate"], results["http"]
    names = ["raw_redis", "wxlogin", "simplejwt_stateless", "simplejwt", "drf_token", "knox"]
    short = {"raw_redis": "raw Redis\nGET", "wxlogin": "django-\nwxlogin",
             "simplejwt_stateless": "simplejwt\nstateless", "simplejwt": "simplejwt",
             "drf_token": "DRF\nToken", "knox": "knox"}
    colors = ["#999999", "#2a9d8f", "#bbbbbb", "#e9c46a", "#f4a261", "#e76f51"]
    figure, axes = plt.subplots(2, 2, figsize=(12, 9))
    ax = axes[0][0]
    bars = ax.bar([short[n] for n in names], [auth[n]["us"] for n in names], color=colors)
    ax.bar_label(bars, fmt="%.0f")
    ax.set_title("authenticate(), warm: µs per call (lower is better)")
    ax = axes[0][1]
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], [http_[n]["p50_ms"] for n in names], 0.4, label="p50",
           color="#2a9d8f")
    ax.bar([i + 0.2 for i in x], [http_[n]["p99_ms"] for n in names], 0.4, label="p99",
           color="#e76f51")
    ax.set_xticks(list(x), [short[n] for n in names])
    ax.set_title("GET through gunicorn: latency, ms (lower is better)")
    ax.legend()
    scaling = results["scaling"]
    sizes = [row["sessions"] for row in scaling]
    ax = axes[1][0]
    ax.plot(sizes, [row["revoke_all_ms"] for row in scaling], "o-", color="#2a9d8f")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_title("revoke-all of one user (10 sessions), ms, vs sessions in table")
    ax = axes[1][1]
    ax.plot(sizes, [row["purge_s"] for row in scaling], "o-", color="#e76f51")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title("purge of expired rows (half the table), s, vs sessions in table")
    for ax in axes[1]:
        ax.set_xlabel("sessions in the table")
    figure.suptitle(f"django-wxlogin vs DRF Token, knox, simplejwt ({results['date']})")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
