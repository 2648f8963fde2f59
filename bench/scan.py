"""Scan login at scale: browsers waiting on their tickets, measured, never asserted.

    python3 bench/scan.py [--waiters 10000] [--samples 300] [--pollers 1000]

ASGI: one uvicorn process holds ``--waiters`` event streams open at once (each on a ticket of its
own); we report the process's memory per waiting browser, the Redis commands per second while
nobody confirms (at 100 waiters and at all of them: it must not grow), and the time from a
confirm being sent to the waiting browser reading it (p50/p99), while all the others wait.
WSGI: gunicorn (2 workers x 4 threads) and ``--pollers`` browsers polling every
``SCAN_POLL_INTERVAL`` seconds: polls/s, their latency, Redis commands/s, CPU per poll, and
confirm-to-browser. Redis is a server of the benchmark's own (its commands are ours alone);
PostgreSQL is ``BENCH_DATABASE_URL``. Results: ``bench/results/scan.json`` and ``scan.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def start_redis() -> tuple[subprocess.Popen[bytes], int]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="scan-bench-redis-")
    process = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                                "--appendonly", "no", "--dir", folder, "--maxclients", "20000"],
                               stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return process, port


def raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def http(port: int, method: str, path: str, headers: dict[str, str],
               body: bytes = b"") -> tuple[int, bytes]:
    """One request on a connection of its own; (status, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    raw = await reader.read()
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


class Waiter:
    """A browser holding an event stream open on its ticket."""

    def __init__(self, cookie: str) -> None:
        self.cookie = cookie
        self.states: list[str] = []
        self.got: dict[str, float] = {}
        self.ready = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None

    async def run(self, port: int) -> None:
        reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer.write(
            f"GET /wx/web/scan/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream"
            f"\r\nCookie: wxlogin_scan={self.cookie}\r\n\r\n".encode())
        while line := await reader.readline():
            if line.startswith(b"data: "):
                state = json.loads(line[6:])["state"]
                self.states.append(state)
                self.got[state] = time.perf_counter()
                self.ready.set()
                if state in ("confirmed", "cancelled", "expired", "unknown"):
                    break
        self.writer.close()


def issue_tickets(count: int, drawn: int = 50) -> tuple[list[tuple[str, str]], float]:
    """(scene, cookie) of ``count`` tickets, made as ``POST web/scan/`` makes them, and how
    many a second the first ``drawn`` took with their codes drawn by the fake WeChat. The rest
    reuse the last code's image: drawing 10,000 QR codes is not what is measured here."""
    from django.test import RequestFactory

    from django_wxlogin.scan import tickets
    from django_wxlogin.settings import wxlogin_settings

    factory, app = RequestFactory(), wxlogin_settings.app()
    made: list[tuple[str, str]] = []
    real = tickets.unlimited_code
    image = b""
    began = time.perf_counter()
    rate = 0.0
    for serial in range(count):
        if serial == drawn:
            rate = drawn / (time.perf_counter() - began)
            tickets.unlimited_code = lambda app, code, drawn=image: drawn  # type: ignore[assignment]
        request = factory.post("/wx/web/scan/", REMOTE_ADDR=f"10.0.{serial // 250}.{serial % 250}",
                               HTTP_USER_AGENT="Mozilla/5.0 bench")
        ticket = tickets.issue(request, app)
        image = ticket.image
        made.append((ticket.scene, ticket.cookie))
    tickets.unlimited_code = real  # type: ignore[assignment]
    return made, rate


_observers: dict[int, Any] = {}


def redis_commands(port: int) -> int:
    """Commands Redis processed so far, asked on one connection kept for it (a new one would
    add its own handshake commands)."""
    import redis

    observer = _observers.setdefault(port, redis.Redis(port=port))
    return int(observer.info("stats")["total_commands_processed"])


def idle_rate(port: int, seconds: float) -> float:
    """Commands per second Redis processed over ``seconds`` (the INFO asking excluded)."""
    before = redis_commands(port)
    time.sleep(seconds)
    return (redis_commands(port) - before - 1) / seconds


def serve(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL)


async def wait_port(port: int) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


async def confirm(port: int, token: str, scene: str) -> None:
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, body = await http(port, "GET", f"/wx/scan/{scene}/?launch_scene=1047", auth)
    assert status == 200, body
    status, body = await http(port, "POST", f"/wx/scan/{scene}/confirm/", auth,
                              b'{"launch_scene": 1047}')
    assert status == 200, body


async def bench_asgi(env: dict[str, str], made: list[tuple[str, str]], redis_port: int,
                     token: str, samples: int, idle_seconds: float) -> dict[str, Any]:
    from bench.harness import free_port

    port = free_port()
    server = serve(["uvicorn", "bench.asgi:application", "--port", str(port), "--log-level",
                    "warning", "--no-access-log", "--backlog", "4096", "--timeout-keep-alive",
                    "600"], env)
    try:
        await wait_port(port)
        waiters = [Waiter(cookie) for _, cookie in made]
        tasks = []
        warm = 100
        for waiter in waiters[:warm]:
            tasks.append(asyncio.create_task(waiter.run(port)))
        await asyncio.gather(*(w.ready.wait() for w in waiters[:warm]))
        await asyncio.sleep(1)
        base_rss = rss_kib(server.pid)
        idle_few = await asyncio.to_thread(idle_rate, redis_port, idle_seconds)
        for start in range(warm, len(waiters), 500):
            batch = waiters[start:start + 500]
            tasks += [asyncio.create_task(w.run(port)) for w in batch]
            await asyncio.gather(*(w.ready.wait() for w in batch))
        await asyncio.sleep(2)
        full_rss = rss_kib(server.pid)
        idle_all = await asyncio.to_thread(idle_rate, redis_port, idle_seconds)
        latencies = []
        for index in random.sample(range(len(made)), samples):
            scene = made[index][0]
            waiter = waiters[index]
            sent = time.perf_counter()
            await confirm(port, token, scene)
            await asyncio.wait_for(_until(waiter, "confirmed"), 10)
            latencies.append((waiter.got["confirmed"] - sent) * 1000)
        # confirm() includes the describe (GET scan/<scene>/); time the confirm alone too
        confirm_only = []
        for index in random.sample([i for i in range(len(made)) if "confirmed" not in
                                    waiters[i].got], samples):
            scene, waiter = made[index][0], waiters[index]
            auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            await http(port, "GET", f"/wx/scan/{scene}/?launch_scene=1047", auth)
            sent = time.perf_counter()
            await http(port, "POST", f"/wx/scan/{scene}/confirm/", auth, b'{"launch_scene": 1047}')
            await asyncio.wait_for(_until(waiter, "confirmed"), 10)
            confirm_only.append((waiter.got["confirmed"] - sent) * 1000)
        still = sum(1 for t in tasks if not t.done())
        for task in tasks:
            task.cancel()
        return {
            "waiters": len(waiters), "still_waiting_at_end": still,
            "rss_mib_100": round(base_rss / 1024, 1), "rss_mib_all": round(full_rss / 1024, 1),
            "kib_per_waiter": round((full_rss - base_rss) / (len(waiters) - warm), 2),
            "idle_redis_commands_per_s_100": round(idle_few, 2),
            "idle_redis_commands_per_s_all": round(idle_all, 2),
            "confirm_to_browser_ms_p50": round(percentile(confirm_only, 0.5), 2),
            "confirm_to_browser_ms_p99": round(percentile(confirm_only, 0.99), 2),
            "scan_and_confirm_to_browser_ms_p50": round(percentile(latencies, 0.5), 2),
            "scan_and_confirm_to_browser_ms_p99": round(percentile(latencies, 0.99), 2),
            "samples": samples,
        }
    finally:
        server.kill()
        server.wait()


async def _until(waiter: Waiter, state: str) -> None:
    while state not in waiter.got:
        await asyncio.sleep(0.001)


async def bench_wsgi(env: dict[str, str], made: list[tuple[str, str]], redis_port: int,
                     token: str, pollers: int, seconds: float, interval: float) -> dict[str, Any]:
    from bench.harness import free_port

    port = free_port()
    server = serve(["gunicorn", "bench.wsgi:application", "--bind", f"127.0.0.1:{port}",
                    "--workers", "2", "--worker-class", "gthread", "--threads", "4",
                    "--log-level", "warning"], env)
    try:
        await wait_port(port)
        await asyncio.sleep(2)
        workers = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children")
                   .read_text().split()]
        chosen = made[:pollers]
        seen: dict[int, float] = {}
        durations: list[float] = []
        stop = time.perf_counter() + seconds

        async def poll(index: int, cookie: str) -> None:
            await asyncio.sleep(random.random() * interval)
            while time.perf_counter() < stop and index not in seen:
                began = time.perf_counter()
                _, body = await http(port, "GET", "/wx/web/scan/status/",
                                          {"Cookie": f"wxlogin_scan={cookie}"})
                durations.append((time.perf_counter() - began) * 1000)
                if json.loads(body)["state"] == "confirmed":
                    seen[index] = time.perf_counter()
                    return
                await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))

        cpu_before = sum(cpu_seconds(p) for p in workers)
        commands_before = redis_commands(redis_port)
        began = time.perf_counter()
        tasks = [asyncio.create_task(poll(i, c)) for i, (_, c) in enumerate(chosen)]
        await asyncio.sleep(interval * 2)
        latencies = []
        for index in random.sample(range(pollers), 20):
            sent = time.perf_counter()
            await confirm(port, token, chosen[index][0])
            give_up = time.perf_counter() + 5 * interval
            while index not in seen and time.perf_counter() < min(stop, give_up):
                await asyncio.sleep(0.005)
            if index in seen:
                latencies.append((seen[index] - sent) * 1000)
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        polls = len(durations)
        cpu = sum(cpu_seconds(p) for p in workers) - cpu_before
        return {
            "pollers": pollers, "interval_s": interval, "polls_per_s": round(polls / elapsed, 1),
            "poll_ms_p50": round(percentile(durations, 0.5), 2),
            "poll_ms_p99": round(percentile(durations, 0.99), 2),
            "redis_commands_per_s": round((redis_commands(redis_port) - commands_before)
                                          / elapsed, 1),
            "cpu_ms_per_poll": round(cpu * 1000 / max(1, polls), 3),
            "confirm_to_browser_ms_p50": round(percentile(latencies, 0.5), 1),
            "confirm_to_browser_ms_p99": round(percentile(latencies, 0.99), 1),
            "confirms_seen": f"{len(latencies)}/20",
        }
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--waiters", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--pollers", type=int, default=1000)
    parser.add_argument("--idle-seconds", type=float, default=20)
    parser.add_argument("--poll-seconds", type=float, default=60)
    parser.add_argument("--only-wsgi", action="store_true",
                        help="measure polling alone; keep the last run's ASGI figures")
    options = parser.parse_args()
    raise_fd_limit()
    redis_server, redis_port = start_redis()
    os.environ["SCAN_BENCH_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.scan_settings"
    try:
        from django.conf import settings

        from bench import harness
        from django_wxlogin.wechat.fake import FakeWeChat

        harness.prepare_database()
        fake = FakeWeChat({harness.APPID: settings.WXLOGIN["SECRET"]}).start()
        settings.WXLOGIN["API_BASE_URL"] = fake.url
        token = harness.log_in(harness.wechat.client(), "scanner", 1).token
        out = ROOT / "bench" / "results"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "WXLOGIN_API_BASE_URL": fake.url}
        if options.only_wsgi:
            results = json.loads((out / "scan.json").read_text())
        else:
            made, issued_per_s = issue_tickets(options.waiters)
            results = {"asgi": asyncio.run(bench_asgi(env, made, redis_port, token,
                                                      options.samples, options.idle_seconds)),
                       "cpus": os.cpu_count(),
                       "tickets_with_codes_drawn_per_s": round(issued_per_s, 1)}
        fresh, _ = issue_tickets(options.pollers)
        results["wsgi"] = asyncio.run(bench_wsgi(
            env, fresh, redis_port, token, options.pollers, options.poll_seconds,
            float(settings.WXLOGIN.get("SCAN_POLL_INTERVAL", 2))))
        (out / "scan.json").write_text(json.dumps(results, indent=2) + "\n")
        (out / "scan.md").write_text(report(results))
        print(report(results))
    finally:
        redis_server.kill()


def report(results: dict[str, Any]) -> str:
    asgi, wsgi = results["asgi"], results["wsgi"]
    return "\n".join([
        "| scan login | figure |", "|---|---|",
        f"| ASGI: browsers waiting on one uvicorn process | {asgi['waiters']:,} (the "
        f"{2 * asgi['samples']} confirmed ones drawn from them) |",
        f"| memory per waiting browser | {asgi['kib_per_waiter']} KiB "
        f"({asgi['rss_mib_100']} MiB at 100, {asgi['rss_mib_all']} MiB at all) |",
        f"| idle Redis commands/s, 100 waiting | {asgi['idle_redis_commands_per_s_100']} |",
        f"| idle Redis commands/s, all waiting | {asgi['idle_redis_commands_per_s_all']} |",
        f"| confirm to browser p50 / p99 | {asgi['confirm_to_browser_ms_p50']} / "
        f"{asgi['confirm_to_browser_ms_p99']} ms |",
        f"| WSGI: browsers polling every {wsgi['interval_s']:g} s | {wsgi['pollers']:,} |",
        f"| polls/s, p50 / p99 | {wsgi['polls_per_s']}, {wsgi['poll_ms_p50']} / "
        f"{wsgi['poll_ms_p99']} ms |",
        f"| Redis commands/s while polling | {wsgi['redis_commands_per_s']} |",
        f"| CPU per poll | {wsgi['cpu_ms_per_poll']} ms |",
        f"| confirm to browser p50 / p99 (polling) | {wsgi['confirm_to_browser_ms_p50']} / "
        f"{wsgi['confirm_to_browser_ms_p99']} ms ({wsgi.get('confirms_seen', '')} seen) |",
        "",
    ])


if __name__ == "__main__":
    main()
