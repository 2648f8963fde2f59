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
import contextlib
import math
import os
import platform
import re
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from random import Random
from urllib.parse import urlsplit

import django
import gunicorn
import psycopg
import redis
import requests
from psycopg import sql

from tests.services import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
REQUEST_TIMEOUT = (3.0, 15.0)  # connect, read: no request may hang the run
USERS_PER_THREAD = 3  # a thread's own users, so its logins never revoke another thread's token
GETS_PER_VISIT = (2, 6)
PROFILE_SHARE = 0.7  # of the GETs; the rest list sessions
LOGOUT_SHARE = 0.5  # of the visits; the others leave the token for the next login to revoke
LOOPBACK = ("127.0.0.1", "localhost", "::1")
KINDS = {
    "login": "POST login/",
    "profile": "GET profile/",
    "sessions": "GET sessions/",
    "logout": "POST logout/",
    "dead": "GET profile/, dead token",
}
PHASES = {
    "before": "before (Redis up)",
    "during": "during (Redis killed)",
    "after": "after (Redis restarted empty)",
}
_GUNICORN_PREFIX = re.compile(r"^\[[^]]*\] \[\d+\] ")

Check = Callable[[requests.Response], str | None]


class BudgetSpent(Exception):
    """The run's requests are all handed out (or its time is up): the virtual user stops."""


@dataclass(frozen=True)
class Sample:
    phase: str
    kind: str
    started: float
    seconds: float
    error: str | None


class Schedule:
    """Hands out the run's request budget and, with an outage, kills Redis when the first
    "during" request is handed out and restarts it at the first "after" one. Both happen under
    the lock, so every request of a phase is sent after its change."""

    def __init__(self, total: int, seconds: float, redis_server: RedisServer | None) -> None:
        self.total, self.redis = total, redis_server
        self.bounds = (total // 3, 2 * total // 3)
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.issued = 0
        self.timed_out = self.cancelled = False
        self.events: list[str] = []
        self._lock = threading.Lock()

    def next(self) -> str:
        """The phase of the next request, or ``BudgetSpent``."""
        with self._lock:
            if self.cancelled or self.issued >= self.total:
                raise BudgetSpent
            if time.monotonic() >= self.deadline:
                self.timed_out = True
                raise BudgetSpent
            ticket, self.issued = self.issued, self.issued + 1
            if self.redis is None:
                return "all"
            if ticket == self.bounds[0]:
                self.redis.kill()
                self._event(f"Redis killed before request {ticket + 1}")
            elif ticket == self.bounds[1]:
                self.redis.start()
                self._event(f"Redis restarted (empty) before request {ticket + 1}")
            return "before" if ticket < self.bounds[0] else (
                "during" if ticket < self.bounds[1] else "after")

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True

    def _event(self, what: str) -> None:
        self.events.append(f"{what}, at {time.monotonic() - self.started:.1f} s")


class VirtualUser:
    """One client thread: logs in as one of its own users, browses, sometimes logs out, and
    checks that every token it gave up is refused."""

    def __init__(self, base_url: str, names: list[str], schedule: Schedule,
                 samples: list[Sample], seed: int) -> None:
        self.base_url, self.names, self.schedule, self.samples = base_url, names, schedule, samples
        self.rng = Random(seed)
        self.http = requests.Session()
        self.live: dict[str, str] = {}  # user -> token still live, until the user's next login
        self.crash: BaseException | None = None
        self.codes = 0

    def run(self) -> None:
        try:
            while True:
                self.visit()
        except BudgetSpent:
            pass
        except BaseException as exc:  # a bug or a failed Redis restart: stop the whole run
            self.crash = exc
            self.schedule.cancel()
        finally:
            self.http.close()

    def visit(self) -> None:
        name = self.rng.choice(self.names)
        superseded = self.live.pop(name, None)
        self.codes += 1
        login = self.request("login", "POST", "/wx/login/", json={"code": f"{name}.{self.codes}"},
                             check=_has_token)
        if login is None:
            return
        body = login.json()
        token, openid = body["token"], body["user"]["openid"]
        if superseded:
            self.request("dead", "GET", "/wx/profile/", token=superseded, expect=401,
                         check=_session_expired)
        for _ in range(self.rng.randint(*GETS_PER_VISIT)):
            if self.rng.random() < PROFILE_SHARE:
                self.request("profile", "GET", "/wx/profile/", token=token,
                             check=lambda r: _is_profile_of(r, openid))
            else:
                self.request("sessions", "GET", "/wx/sessions/", token=token,
                             check=_only_current_session)
        if self.rng.random() >= LOGOUT_SHARE:
            self.live[name] = token
        elif self.request("logout", "POST", "/wx/logout/", token=token, expect=204):
            self.request("dead", "GET", "/wx/profile/", token=token, expect=401,
                         check=_session_expired)

    def request(self, kind: str, method: str, path: str, *, token: str | None = None,
                expect: int = 200, json: object = None,
                check: Check | None = None) -> requests.Response | None:
        """Send one request of the budget and record it; the response if it was as expected."""
        phase = self.schedule.next()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.monotonic()
        response: requests.Response | None = None
        try:
            response = self.http.request(method, self.base_url + path, json=json,
                                         headers=headers, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as exc:
            error: str | None = f"{type(exc).__name__}: {exc}"[:160]
        else:
            error = _verdict(response, expect, check)
        self.samples.append(Sample(phase, kind, started, time.monotonic() - started, error))
        return response if error is None else None


def _verdict(response: requests.Response, expect: int, check: Check | None) -> str | None:
    if response.status_code != expect:
        body = " ".join(response.text.split())[:120]
        return f"HTTP {response.status_code}, expected {expect}: {body}"
    try:
        return check(response) if check else None
    except (ValueError, KeyError, TypeError) as exc:
        return f"unexpected body ({type(exc).__name__}): {response.text[:120]}"


def _has_token(response: requests.Response) -> str | None:
    body = response.json()
    return None if body["token"] and body["user"]["openid"] else "login without a token"


def _session_expired(response: requests.Response) -> str | None:
    code = response.json()["code"]
    return None if code == "session_expired" else f"dead token refused as {code!r}"


def _is_profile_of(response: requests.Response, openid: str) -> str | None:
    return None if response.json()["openid"] == openid else "the profile of another user"


def _only_current_session(response: requests.Response) -> str | None:
    current = [s["current"] for s in response.json()]
    return None if current == [True] else f"live sessions {current}, expected only this one"


# -- the services ------------------------------------------------------------------------------

@dataclass
class Services:
    base_url: str
    redis: RedisServer
    log: Path
    versions: str


def _database_url(server_url: str, name: str) -> str:
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


@contextlib.contextmanager
def _database(server_url: str) -> Iterator[tuple[str, str]]:
    """A database of this run's own on the PostgreSQL server; (its URL, the server version)."""
    name = f"wxlogin_load_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = str(admin.execute("SHOW server_version").fetchone()[0]).split()[0]
    try:
        yield _database_url(server_url, name), version
    finally:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                          .format(sql.Identifier(name)))


def _server_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WXLOGIN_"))}
    env.update(
        PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=database_url, REDIS_URL=redis_url,
        WXLOGIN_LOGIN_RATE="",  # one client IP makes every login: no throttle
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY=secrets.token_urlsafe(32),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        WXLOGIN_FAKE_WECHAT="1",  # production settings, but WeChat is the fake on loopback
    )
    return env


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], workers: int, directory: str,
              log: Path) -> Iterator[str]:
    """gunicorn serving the example project on a free loopback port; its base URL."""
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("wb") as output:
        # Its own session: Ctrl-C reaches this tool only, which then stops it in order.
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
             "--bind", url.removeprefix("http://"), "--workers", str(workers),
             "--timeout", "30", "--graceful-timeout", "5"],
            cwd=directory, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_serving(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait_until_serving(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url + "/wx/profile/", timeout=2).status_code == 401:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start serving:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def services(args: argparse.Namespace) -> Iterator[Services]:
    """redis-server, a PostgreSQL database and gunicorn, all of this run's own."""
    with tempfile.TemporaryDirectory(prefix="wxlogin-load-") as directory:
        redis_server = RedisServer(directory)
        try:
            redis_server.start()
            with _database(args.postgres) as (database_url, pg_version):
                env = _server_env(database_url, redis_server.url)
                migrate = subprocess.run(
                    [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                    capture_output=True, text=True, timeout=120, check=False,
                )
                if migrate.returncode:
                    raise RuntimeError(f"migrate failed:\n{migrate.stderr[-3000:]}")
                log = Path(directory, "gunicorn.log")
                with _gunicorn(env, args.workers, directory, log) as base_url:
                    redis_version = redis_server.client().info("server")["redis_version"]
                    versions = (f"Python {platform.python_version()}, Django {django.__version__},"
                                f" gunicorn {gunicorn.__version__} ({args.workers} sync workers),"
                                f" PostgreSQL {pg_version}, Redis {redis_version}")
                    print(f"Serving {base_url} (gunicorn), Redis {redis_server.url}, "
                          f"PostgreSQL {database_url}", file=sys.stderr)
                    yield Services(base_url, redis_server, log, versions)
        finally:
            redis_server.kill()


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
