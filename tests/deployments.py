"""Throwaway deployments on loopback, for the deployment tests and the scale benchmark: a
PostgreSQL primary with a delayed hot standby, a Redis Cluster, and a Redis Sentinel group.

Plain code, no pytest (like ``services.py``): each starts on free ports in a directory of its
own, and ``stop()`` ends every process it started, whatever state they are in. A missing binary
raises ``FileNotFoundError``: the tests that need one fail, never skip.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import redis
from redis.crc import key_slot

from .services import free_port

T = TypeVar("T")
STARTUP_SECONDS = 30.0


def wait_for(what: str, probe: Callable[[], T | None], seconds: float = STARTUP_SECONDS) -> T:
    """Poll ``probe`` until it returns something truthy (errors count as not yet); that value."""
    deadline = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except Exception as exc:  # not up yet
            last, value = exc, None
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"{what} within {seconds:.0f} s (last error: {last!r})")


class Processes:
    """Child processes that one ``stop()`` kills, each logging to a file of its own."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.running: list[subprocess.Popen[bytes]] = []

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with open(self.directory / f"{name}.log", "ab") as log:
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                       cwd=self.directory)
        self.running.append(process)
        return process

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.kill()
            process.wait()
        self.running.clear()


# --- PostgreSQL -----------------------------------------------------------------------------

def postgres_bin() -> Path:
    """The newest PostgreSQL server binaries on the machine (Debian keeps them off PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda path: int(path.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise FileNotFoundError("initdb (PostgreSQL server binaries)")
    return Path(initdb).parent


class PostgresPair:
    """A PostgreSQL primary and a streaming hot standby that applies each commit
    ``apply_delay`` seconds late (``recovery_min_apply_delay``), in a temporary directory.
    PostgreSQL refuses to run as root, so as root the servers run as the ``postgres`` user."""

    def __init__(self, apply_delay: float = 3.0) -> None:
        self.apply_delay = apply_delay
        self.bin = postgres_bin()
        self.directory = Path(tempfile.mkdtemp(prefix="wxlogin-pg-"))
        self.primary_port, self.replica_port = free_port(), free_port()
        self.started: list[Path] = []

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/postgres"

    def _configure(self, data: Path, port: int, extra: str = "") -> None:
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.directory}'\nfsync = off\n"
                       "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                       "shared_buffers = 32MB\nmax_connections = 50\n" + extra)

    def _start(self, name: str) -> None:
        data = self.directory / name
        self._run("pg_ctl", "-D", str(data), "-l", str(self.directory / f"{name}.log"),
                  "-w", "-t", "60", "start")
        self.started.append(data)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        primary, replica = self.directory / "primary", self.directory / "replica"
        self._run("initdb", "-D", str(primary), "-U", "postgres", "-A", "trust", "--no-sync")
        self._configure(primary, self.primary_port)
        self._start("primary")
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port),
                  "-U", "postgres", "-D", str(replica), "-R", "-X", "stream", "--no-sync")
        self._configure(replica, self.replica_port,
                        f"recovery_min_apply_delay = '{int(self.apply_delay * 1000)}ms'\n")
        self._start("replica")

    def query(self, port: int, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with psycopg.connect(self.url(port).replace("postgres://", "postgresql://"),
                             autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchone()[0]

    def lag_bytes(self) -> int:
        """How far the replica's replay is behind the primary's WAL right now."""
        position = self.query(self.primary_port, "SELECT pg_current_wal_lsn()::text")
        return int(self.query(self.replica_port,
                              "SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn())",
                              (position,)))

    def wait_caught_up(self) -> float:
        """Wait until the replica has applied everything the primary wrote so far; seconds."""
        started = time.monotonic()
        position = self.query(self.primary_port, "SELECT pg_current_wal_lsn()::text")
        wait_for("the replica to catch up", lambda: self.query(
            self.replica_port, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (position,)),
            seconds=self.apply_delay + STARTUP_SECONDS)
        return time.monotonic() - started

    def stop(self) -> None:
        for data in reversed(self.started):
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        self.started.clear()
        shutil.rmtree(self.directory, ignore_errors=True)


# --- Redis Cluster --------------------------------------------------------------------------

def cluster_port() -> int:
    """A free port whose cluster bus port (10000 higher, so at most 65535) is free too."""
    for _ in range(200):
        port = random.randint(20000, 55535)
        with contextlib.ExitStack() as stack:
            try:
                for candidate in (port, port + 10000):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port pair for a cluster node")


def redis_at(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_timeout=5, socket_connect_timeout=2)


def role(port: int) -> str:
    """``master`` or ``slave``, as the server at ``port`` says."""
    return redis_at(port).execute_command("ROLE")[0].decode()


def replica_synced(port: int) -> bool:
    return redis_at(port).info("replication").get("master_link_status") == "up"


# Replicas sync at once rather than after Redis's default 5 s wait for more replicas.
REDIS_OPTIONS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--repl-diskless-sync-delay", "0"]


class RedisClusterNodes:
    """A Redis Cluster of ``masters`` masters with one replica each, on free ports."""

    def __init__(self, directory: Path, masters: int = 3) -> None:
        self.directory = directory
        self.processes = Processes(directory)
        self.ports = [cluster_port() for _ in range(2 * masters)]

    @property
    def urls(self) -> list[str]:
        return [f"redis://127.0.0.1:{port}" for port in self.ports]

    def start(self) -> None:
        for port in self.ports:
            self.processes.spawn(f"redis-{port}", [
                "redis-server", "--port", str(port), *REDIS_OPTIONS, "--dir", str(self.directory),
                "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf",
                "--cluster-node-timeout", "2000"])
        for port in self.ports:
            wait_for(f"redis-server on {port}", redis_at(port).ping)
        subprocess.run(["redis-cli", "--cluster", "create",
                        *(f"127.0.0.1:{port}" for port in self.ports),
                        "--cluster-replicas", "1", "--cluster-yes"],
                       check=True, capture_output=True, timeout=60)
        for port in self.ports:
            wait_for("the cluster to be ok", lambda p=port: self._settled(p))
        for port in self.replicas():
            wait_for("the replicas to sync", lambda p=port: replica_synced(p))

    def _settled(self, port: int) -> bool:
        """The node sees every slot served, and every other node with its role."""
        info = redis_at(port).execute_command("CLUSTER", "INFO")
        if b"cluster_state:ok" not in info or b"cluster_slots_ok:16384" not in info:
            return False
        nodes = redis_at(port).execute_command("CLUSTER", "NODES").decode().splitlines()
        flags = [line.split()[2] for line in nodes]
        return len(nodes) == len(self.ports) and not any(
            bad in flag for flag in flags for bad in ("fail", "handshake", "noaddr")) and \
            sum("slave" in flag for flag in flags) == len(self.ports) // 2

    def node_id(self, port: int) -> str:
        return redis_at(port).execute_command("CLUSTER", "MYID").decode()

    def masters(self) -> list[int]:
        return [port for port in self.ports if role(port) == "master"]

    def replicas(self) -> list[int]:
        return [port for port in self.ports if role(port) == "slave"]

    def slot_owner(self, slot: int) -> int:
        """The port of the master that serves ``slot``, as the masters see it."""
        for port in self.masters():
            for start, end, primary, *_ in redis_at(port).execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return int(primary[1])
        raise LookupError(f"no master serves slot {slot}")

    def master_of(self, key: str) -> int:
        """The port of the master that serves ``key``."""
        return self.slot_owner(key_slot(key.encode()))

    def replica_of(self, master: int) -> int:
        master_id = self.node_id(master)
        for port in self.replicas():
            info = redis_at(port).execute_command("CLUSTER", "NODES").decode()
            myself = next(line for line in info.splitlines() if "myself" in line)
            if myself.split()[3] == master_id:
                return port
        raise LookupError(f"master {master} has no replica")

    def failover(self, replica: int) -> float:
        """``CLUSTER FAILOVER`` on ``replica``, which takes its master's place with no write
        lost; seconds until every master sees the new owner."""
        started = time.monotonic()
        master = int(redis_at(replica).execute_command("ROLE")[2])
        redis_at(replica).execute_command("CLUSTER", "FAILOVER")
        wait_for("the replica to become master", lambda: role(replica) == "master")
        wait_for("every node to agree", lambda: all(
            self._settled(port) and role(master) == "slave" for port in self.ports))
        return time.monotonic() - started

    def migrate_slot(self, slot: int, target: int, batch: int = 10) -> float:
        """Move one slot to the master ``target`` the way ``redis-cli --cluster reshard`` does:
        IMPORTING/MIGRATING, keys in batches of ``batch`` with MIGRATE, then the new owner
        announced to every master. Seconds it took."""
        started = time.monotonic()
        source = self.slot_owner(slot)
        source_id, target_id = self.node_id(source), self.node_id(target)
        redis_at(target).execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
        redis_at(source).execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
        while True:
            keys = redis_at(source).execute_command("CLUSTER", "GETKEYSINSLOT", slot, batch)
            if not keys:
                break
            redis_at(source).execute_command("MIGRATE", "127.0.0.1", target, "", 0, 5000,
                                             "KEYS", *keys)
        for port in [target, source, *(p for p in self.masters() if p not in (source, target))]:
            redis_at(port).execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)
        wait_for("every node to agree", lambda: all(
            self._settled(port) for port in self.ports))
        return time.monotonic() - started

    def reset_stats(self) -> None:
        for port in self.ports:
            redis_at(port).execute_command("CONFIG", "RESETSTAT")

    def command_calls(self) -> dict[int, dict[str, int]]:
        """Per node, the calls of each command since ``reset_stats()``."""
        calls: dict[int, dict[str, int]] = {}
        for port in self.ports:
            stats = redis_at(port).info("commandstats")
            calls[port] = {name.removeprefix("cmdstat_"): int(value["calls"])
                           for name, value in stats.items()}
        return calls

    def stop(self) -> None:
        self.processes.stop()


# --- Redis Sentinel -------------------------------------------------------------------------

class SentinelGroup:
    """A Redis primary, one replica and three sentinels watching them as ``service``."""

    service = "wxlogin"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.processes = Processes(directory)
        self.primary, self.replica = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.nodes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", port) for port in self.sentinel_ports]

    def start(self) -> None:
        for port, extra in ((self.primary, []),
                            (self.replica, ["--replicaof", "127.0.0.1", str(self.primary)])):
            self.nodes[port] = self.processes.spawn(f"redis-{port}", [
                "redis-server", "--port", str(port), *REDIS_OPTIONS, "--dir", str(self.directory),
                *extra])
            wait_for(f"redis-server on {port}", redis_at(port).ping)
        wait_for("the replica to sync", lambda: replica_synced(self.replica))
        for port in self.sentinel_ports:
            conf = self.directory / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.directory}\n"
                f"sentinel monitor {self.service} 127.0.0.1 {self.primary} 2\n"
                f"sentinel down-after-milliseconds {self.service} 1000\n"
                f"sentinel failover-timeout {self.service} 10000\n"
                f"sentinel parallel-syncs {self.service} 1\n")
            self.processes.spawn(f"sentinel-{port}", ["redis-server", str(conf), "--sentinel"])
        for port in self.sentinel_ports:
            wait_for("the sentinels to know each other and the replica",
                     lambda p=port: self._ready(p))

    def _ready(self, port: int) -> bool:
        sentinel = redis_at(port)
        return (len(sentinel.execute_command("SENTINEL", "REPLICAS", self.service)) == 1
                and len(sentinel.execute_command("SENTINEL", "SENTINELS", self.service)) == 2)

    def master_port(self) -> int:
        """The primary the sentinels agree on (raises while they disagree)."""
        seen = {int(redis_at(port).execute_command(
            "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service)[1])
            for port in self.sentinel_ports}
        if len(seen) != 1:
            raise LookupError(f"sentinels disagree: {sorted(seen)}")
        return seen.pop()

    def kill_primary(self) -> None:
        """SIGKILL the primary: no goodbye to its clients or to the sentinels."""
        process = self.nodes[self.primary]
        process.kill()
        process.wait()

    def wait_promoted(self) -> float:
        """Seconds until the sentinels agree on the replica and it answers as master."""
        started = time.monotonic()
        wait_for("the sentinels to promote the replica", lambda: self.master_port() ==
                 self.replica and role(self.replica) == "master")
        return time.monotonic() - started

    def stop(self) -> None:
        self.processes.stop()


@contextlib.contextmanager
def running(deployment: T) -> Iterator[T]:
    """Start a deployment and stop it afterwards, also when starting it failed halfway."""
    try:
        deployment.start()  # type: ignore[attr-defined]
        yield deployment
    finally:
        deployment.stop()  # type: ignore[attr-defined]
