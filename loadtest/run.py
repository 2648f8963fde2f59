"""Load test: the example project under gunicorn on loopback, with PostgreSQL and the fake WeChat.

Virtual users log in, make authenticated GETs and some log out, for a fixed number of requests;
the run reports throughput, p50/p99 latency and errors. With ``--redis-outage`` the same run is
repeated with the session Redis killed at one third and restarted empty at two thirds: the
package is meant to keep serving from PostgreSQL meanwhile and refill afterwards. The Redis and
the database are the tool's own, so killing them disturbs nothing else; everything it starts it
stops, on failure and Ctrl-C too. Exits 1 when any request failed.

    python3 -m loadtest.run [--requests 3000] [--concurrency 16] [--workers 2] [--redis-outage]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import shlex
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import redis

from loadtest.services import ROOT, Services, services
from loadtest.traffic import (
    GETS_PER_VISIT,
    KINDS,
    PHASES,
    PROFILE_SHARE,
    REQUEST_TIMEOUT,
    USERS_PER_THREAD,
    Sample,
    Schedule,
    VirtualUser,
)
from tests.services import RedisServer

LOOPBACK = ("127.0.0.1", "localhost", "::1")
_GUNICORN_PREFIX = re.compile(r"^\[[^]]*\] \[\d+\] ")


# -- a run -------------------------------------------------------------------------------------

@dataclass
class Run:
    title: str
    outage: bool
    requests: int
    samples: list[Sample]
    seconds: float
    events: list[str]
    complete: bool
    server_log: Counter[str] = field(default_factory=Counter)

    @property
    def errors(self) -> int:
        return sum(1 for s in self.samples if s.error)


def load(stack: Services, args: argparse.Namespace, title: str, outage: bool) -> Run:
    """Drive ``args.requests`` requests from ``args.concurrency`` virtual-user threads."""
    print(f"{title}: {args.requests} requests, {args.concurrency} threads", file=sys.stderr)
    log_offset = stack.log.stat().st_size
    schedule = Schedule(args.requests, args.max_seconds, stack.redis if outage else None)
    samples: list[Sample] = []
    tag = "o" if outage else "n"  # each run logs in its own users
    users = [VirtualUser(stack.base_url, [f"{tag}{i}u{k}" for k in range(USERS_PER_THREAD)],
                         schedule, samples, seed=i) for i in range(args.concurrency)]
    threads = [threading.Thread(target=u.run, name=f"vu{i}", daemon=True)
               for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    finally:
        schedule.cancel()
        for thread in threads:
            thread.join(timeout=sum(REQUEST_TIMEOUT) + 5)
    for user in users:
        if user.crash is not None:
            raise user.crash
    run = Run(title, outage, args.requests, samples, time.monotonic() - schedule.started,
              schedule.events, complete=len(samples) == args.requests and not schedule.timed_out)
    run.events.append(f"Session entries in Redis at the end: {_cached_sessions(stack.redis)}")
    with stack.log.open("rb") as log:
        log.seek(log_offset)
        for line in log.read().decode(errors="replace").splitlines():
            if line.strip():
                run.server_log[_GUNICORN_PREFIX.sub("", line.rstrip())] += 1
    return run


def _cached_sessions(redis_server: RedisServer) -> str:
    """How many sessions the cache holds: after an outage, shows that it refilled."""
    try:
        return str(sum(1 for _ in redis_server.client().scan_iter(match="*wxlogin:s:*",
                                                                  count=1000)))
    except redis.RedisError as exc:
        return f"unknown, Redis unavailable ({type(exc).__name__})"


# -- the report --------------------------------------------------------------------------------

def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _row(label: str, samples: list[Sample]) -> str:
    if not samples:
        return f"| {label} | 0 | 0 | | | |"
    seconds = sorted(s.seconds for s in samples)
    span = max(s.started + s.seconds for s in samples) - min(s.started for s in samples)
    errors = sum(1 for s in samples if s.error)
    return (f"| {label} | {len(samples)} | {errors} | {len(samples) / span:.0f} "
            f"| {_percentile(seconds, 0.5) * 1000:.1f} | {_percentile(seconds, 0.99) * 1000:.1f} |")


TABLE_HEAD = "| | requests | errors | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|"


def _kind_rows(samples: list[Sample], prefix: str = "") -> list[str]:
    return [_row(prefix + label, [s for s in samples if s.kind == kind])
            for kind, label in KINDS.items()]


def run_report(run: Run) -> str:
    lines = [f"## {run.title}", ""]
    done = "" if run.complete else f" **Stopped early: {len(run.samples)} of {run.requests}.**"
    lines.append(f"{len(run.samples)} requests in {run.seconds:.1f} s.{done}")
    lines += [f"- {event}" for event in run.events]
    if run.outage:
        lines += ["", TABLE_HEAD]
        lines += [_row(label, [s for s in run.samples if s.phase == phase])
                  for phase, label in PHASES.items()]
        lines += [_row("**all**", run.samples), "", "By phase and kind:", "", TABLE_HEAD]
        for phase in PHASES:
            lines += _kind_rows([s for s in run.samples if s.phase == phase], f"{phase}: ")
    else:
        lines += ["", TABLE_HEAD, *_kind_rows(run.samples), _row("**all**", run.samples)]
    failures = Counter(f"{s.phase}, {KINDS[s.kind]}: {s.error}" for s in run.samples if s.error)
    if failures:
        lines += ["", "Errors:", ""]
        lines += [f"- {n}x {what}" for what, n in failures.most_common(20)]
    lines += ["", "Server log during the run:" if run.server_log else "Server log: empty."]
    if run.server_log:
        lines.append("")
        lines += [f"- {n}x `{line[:200]}`" for line, n in run.server_log.most_common(20)]
    return "\n".join(lines)


def report(args: argparse.Namespace, versions: str, runs: list[Run]) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = shlex.join(["python3", "-m", "loadtest.run", *args.argv])
    head = f"""# Load test results

`{command}`, {now}.

- Machine: {os.cpu_count()} CPU cores, {platform.system()} {platform.machine()}, \
{args.machine}. Client, gunicorn, PostgreSQL and Redis share it, all on loopback.
- {versions}; WeChat is the built-in fake (one per worker).
- {args.concurrency} virtual-user threads. Each visit logs in (a fresh code for one of the \
thread's {USERS_PER_THREAD} users), makes {GETS_PER_VISIT[0]}-{GETS_PER_VISIT[1]} GETs \
(profile/ {PROFILE_SHARE:.0%}, sessions/ the rest), then either logs out and checks the token \
is refused, or keeps it until the user's next login, which must revoke it (single sign-on).
- An error is a connection failure or timeout ({REQUEST_TIMEOUT[0]:g} s connect, \
{REQUEST_TIMEOUT[1]:g} s read), any other status than expected (200 with a live token, 204 for a \
logout, 401 `session_expired` with a dead one), or a wrong body (another user's profile, other \
live sessions than the current one). Latency is measured by the client.
"""
    return "\n\n".join([head, *(run_report(run) for run in runs)]) + "\n"


# -- the command -------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m loadtest.run", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="per run (default 3000)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--redis-outage", action="store_true",
                        help="then repeat the run with Redis killed at 1/3, restarted at 2/3")
    parser.add_argument("--max-seconds", type=float, default=300,
                        help="stop a run after this long, counting it failed (300)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres",
                        help="a loopback PostgreSQL server that may create databases")
    parser.add_argument("--output", type=Path, default=ROOT / "loadtest" / "results.md")
    parser.add_argument("--machine", default="shared with other work: timings are indicative",
                        help="a note on the machine for the results")
    args = parser.parse_args(argv)
    if args.requests < 30 or args.concurrency < 1 or args.workers < 1 or args.max_seconds <= 0:
        parser.error("need --requests >= 30 and positive --concurrency, --workers, --max-seconds")
    if urlsplit(args.postgres).hostname not in LOOPBACK:
        parser.error("--postgres must be on loopback (the tool creates and drops a database)")
    args.argv = sys.argv[1:] if argv is None else argv
    return args


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # like Ctrl-C: stop what was started, then exit
    runs: list[Run] = []
    with services(args) as stack:
        runs.append(load(stack, args, "Normal run", outage=False))
        if args.redis_outage:
            runs.append(load(stack, args, "Redis outage run", outage=True))
    text = report(args, stack.versions, runs)
    args.output.write_text(text)
    print(text)
    requests_made, errors = sum(len(r.samples) for r in runs), sum(r.errors for r in runs)
    complete = all(r.complete for r in runs)
    print(f"TOTAL: {requests_made} requests, {errors} errors"
          + ("" if complete else ", stopped early"))
    return 0 if errors == 0 and complete else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the services it started are stopped.", file=sys.stderr)
        sys.exit(130)
