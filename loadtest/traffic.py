"""The load test's traffic: virtual users who log in, make authenticated GETs and log out,
each request timed and checked, on a schedule that can take Redis away mid-run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from random import Random

import requests

from tests.services import RedisServer

REQUEST_TIMEOUT = (3.0, 15.0)  # connect, read: no request may hang the run
USERS_PER_THREAD = 3  # a thread's own users, so its logins never revoke another thread's token
GETS_PER_VISIT = (2, 6)
PROFILE_SHARE = 0.7  # of the GETs; the rest list sessions
LOGOUT_SHARE = 0.5  # of the visits; the others leave the token for the next login to revoke
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
