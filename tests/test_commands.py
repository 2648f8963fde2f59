"""The management commands: wxlogin_revoke, wxlogin_sessions, wxlogin_purge."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_wxlogin.exceptions import SessionExpired
from django_wxlogin.models import PendingInvalidation, RevokeReason, WxSession, WxUser
from django_wxlogin.sessions import store
from django_wxlogin.sessions.tokens import make_token, token_digest
from django_wxlogin.wechat.fake import openid_for, unionid_for

from .conftest import bearer, manage

pytestmark = pytest.mark.django_db(transaction=True)
APPID = "wxtestapp0000001"


def run(*args: str, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def status(api, token: str) -> tuple[int, str | None]:
    response = api.get("/whoami/", **bearer(token))
    return response.status_code, None if response.status_code == 200 else response.json()["code"]


def user_of(name: str):
    return WxUser.objects.get(openid=openid_for(APPID, name)).user


@pytest.fixture
def tokens(api, login):
    """alice, bob and carol logged in once each, their sessions cached by a first request."""
    issued = {name: login(name).json()["token"] for name in ("alice", "bob", "carol")}
    for token in issued.values():
        assert status(api, token) == (200, None)
    return issued


def make_sessions(user, count: int, **fields) -> list[str]:
    """``count`` sessions of ``user`` written directly; their raw tokens."""
    now = timezone.now()
    issued = [make_token(user.pk) for _ in range(count)]
    WxSession.objects.bulk_create([
        WxSession(user=user, digest=token_digest(token), appid=APPID,
                  **{"expires_at": now + timedelta(days=1), **fields})
        for token in issued
    ], batch_size=5000)
    return issued


# wxlogin_revoke

@pytest.mark.parametrize("target", [
    lambda: ["--openid", openid_for(APPID, "alice")],
    lambda: ["--unionid", unionid_for("alice")],
    lambda: ["--user", str(user_of("alice").pk)],
    lambda: ["--user", user_of("alice").username],
])
def test_revoke_one_user(api, tokens, target):
    assert run("wxlogin_revoke", *target()) == "Revoked 1 session of 1 user.\n"
    assert status(api, tokens["alice"]) == (401, "session_expired")
    assert status(api, tokens["bob"]) == (200, None)
    assert WxSession.objects.get(user=user_of("alice")).revoke_reason == RevokeReason.COMMAND


def test_revoke_several_users_at_once(api, tokens):
    out = run("wxlogin_revoke", "--openid", openid_for(APPID, "alice"),
              "--user", user_of("bob").username, "--user", str(user_of("alice").pk))
    assert out == "Revoked 2 sessions of 2 users.\n"
    assert status(api, tokens["carol"]) == (200, None)


@pytest.mark.parametrize(("args", "message"), [
    (["--openid", "o-nobody"], "No WeChat user has the openid 'o-nobody'."),
    (["--unionid", "u-nobody"], "No WeChat user has the unionid 'u-nobody'."),
    (["--user", "424242"], "No user has the id or username '424242'."),
    (["--user", "ghost"], "No user has the id or username 'ghost'."),
    (["--user", "x" * 300], "No user has the id or username"),
    ([], "Name the sessions to revoke: --openid, --unionid, --user, --all or --expired."),
    (["--all", "--user", "bob"], "--all cannot be combined with --openid, --unionid or --user."),
    (["--all", "--batch-size", "0"], "must be at least 1"),
])
def test_revoke_refuses_unclear_targets(api, tokens, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("wxlogin_revoke", *args, "--no-input")
    assert WxSession.objects.live().count() == 3


def test_revoke_ambiguous_user(tokens, django_user_model):
    alice = user_of("alice")
    django_user_model.objects.create(username=str(alice.pk))
    with pytest.raises(CommandError, match="is one user's id and another user's username"):
        run("wxlogin_revoke", "--user", str(alice.pk))


def test_revoke_all_asks_first(api, tokens):
    with pytest.raises(CommandError, match=re.escape("Cancelled; nothing was revoked.")):
        run("wxlogin_revoke", "--all", stdin=io.StringIO("no\n"))
    with pytest.raises(CommandError, match="Cancelled"):
        run("wxlogin_revoke", "--all", stdin=io.StringIO(""))  # end of input
    assert WxSession.objects.live().count() == 3

    out = run("wxlogin_revoke", "--all", stdin=io.StringIO("yes\n"))
    assert out == ("This revokes 3 sessions of 3 users; they must all log in again.\n"
                   "Type 'yes' to continue, or 'no' to cancel: Revoked 3 sessions of 3 users.\n")
    for token in tokens.values():
        assert status(api, token) == (401, "session_expired")


def test_revoke_all_without_input(api, tokens):
    err = io.StringIO()
    assert run("wxlogin_revoke", "--all", "--no-input", stderr=err) == \
        "Revoked 3 sessions of 3 users.\n"
    assert err.getvalue() == ""
    assert WxSession.objects.live().count() == 0
    assert status(api, tokens["carol"]) == (401, "session_expired")


def test_revoke_expired_marks_only_the_dead(api, tokens, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "IDLE_TIMEOUT": 3600}
    now = timezone.now()
    alice = user_of("alice")
    make_sessions(alice, 2, expires_at=now - timedelta(minutes=1))
    make_sessions(alice, 1, last_seen_at=now - timedelta(hours=2))  # idle too long
    make_sessions(alice, 1, expires_at=now - timedelta(days=1), revoked_at=now,
                  revoke_reason=RevokeReason.LOGOUT)

    assert run("wxlogin_revoke", "--expired") == "Revoked 3 sessions of 1 user.\n"
    assert WxSession.objects.filter(revoke_reason=RevokeReason.COMMAND).count() == 3
    assert WxSession.objects.filter(revoke_reason=RevokeReason.LOGOUT).count() == 1
    for token in tokens.values():
        assert status(api, token) == (200, None)
    assert run("wxlogin_revoke", "--expired", "--user", user_of("bob").username) == \
        "Revoked 0 sessions of 0 users.\n"


def test_revoke_from_a_per_process_cache_says_so_and_leaves_it_to_the_servers(tokens,
                                                                             settings):
    settings.CACHES = {**settings.CACHES, "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.WXLOGIN = {**settings.WXLOGIN, "CACHE_ALIAS": "local"}
    with pytest.raises(CommandError) as raised:
        run("wxlogin_revoke", "--user", user_of("alice").username)
    assert raised.value.returncode == 2
    assert "LocMemCache) is per process or could not be reached" in str(raised.value)
    assert not WxSession.objects.live().filter(user=user_of("alice")).exists()
    pending = PendingInvalidation.objects.get()  # left for the servers, who share Redis
    assert f"{{{user_of('alice').pk}}}:n" in pending.names


def test_revoke_a_user_who_has_no_session(tokens):
    run("wxlogin_revoke", "--openid", openid_for(APPID, "alice"))
    assert run("wxlogin_revoke", "--openid", openid_for(APPID, "alice")) == \
        "Revoked 0 sessions of 0 users.\n"


def test_revoke_in_bounded_batches(api, django_user_model):
    users = django_user_model.objects.bulk_create(
        [django_user_model(username=f"bulk{i}") for i in range(200)])
    issued = [token for user in users for token in make_sessions(user, 100)]
    assert WxSession.objects.live().count() == 20_000
    # One session per batch boundary and then some, each cached by a first request.
    sample = [issued[i] for i in (0, 4_999, 5_000, 9_999, 10_000, 15_000, 19_999)]
    sample += issued[1_234::2_500]
    for token in sample:
        assert status(api, token) == (200, None)

    with CaptureQueriesContext(connection) as queries:
        out = run("wxlogin_revoke", "--all", "--no-input", "--batch-size", "5000")

    assert out == "Revoked 20000 sessions of 200 users.\n"
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 4  # 20,000 sessions, 5,000 per transaction
    assert WxSession.objects.filter(revoked_at__isnull=True).count() == 0
    for token in sample:
        assert status(api, token) == (401, "session_expired")
        with pytest.raises(SessionExpired):
            store.authenticate(token)


def test_progress_bar_only_on_a_terminal(tokens, capsys):
    run("wxlogin_revoke", "--user", user_of("alice").username)
    assert capsys.readouterr().err == ""

    controller, terminal = os.openpty()
    try:
        with open(terminal, "w") as tty:
            call_command("wxlogin_revoke", "--all", "--no-input", stdout=tty)
    finally:
        os.close(controller)
    assert "2/2" in capsys.readouterr().err


def test_errors_exit_non_zero_without_a_traceback(tokens):
    unknown = manage("wxlogin_revoke", "--openid", "o-nobody")
    assert unknown.returncode == 1
    assert unknown.stderr == "CommandError: No WeChat user has the openid 'o-nobody'.\n"
    nothing = manage("wxlogin_revoke")
    assert nothing.returncode == 1 and "Traceback" not in nothing.stderr
    assert "Name the sessions to revoke" in nothing.stderr

    done = manage("wxlogin_revoke", "--openid", openid_for(APPID, "bob"))
    assert (done.returncode, done.stdout, done.stderr) == \
        (0, "Revoked 1 session of 1 user.\n", "")
    assert not WxSession.objects.live().filter(user=user_of("bob")).exists()


# wxlogin_sessions

def test_sessions_table(tokens):
    run("wxlogin_revoke", "--user", user_of("carol").username)
    out = run("wxlogin_sessions")
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "DIGEST", "USER", "OPENID", "APPID", "METHOD",
                                "CREATED", "EXPIRES", "LAST", "SEEN", "IP", "USER", "AGENT"]
    assert len(lines) == 3  # carol's session is revoked
    bob, alice = WxSession.objects.filter(user__in=[user_of("alice"), user_of("bob")]) \
        .order_by("-pk")
    for line, session, name in ((lines[1], bob, "bob"), (lines[2], alice, "alice")):
        assert line.split()[:6] == [str(session.pk), f"{session.digest_prefix}…",
                                    session.user.username, openid_for(APPID, name), APPID,
                                    "wechat"]
        assert session.digest not in out and session.digest[:9] not in out


def test_sessions_json(tokens):
    out = run("wxlogin_sessions", "--json", "--openid", openid_for(APPID, "alice"),
              "--unionid", unionid_for("bob"))
    listed = json.loads(out)
    assert [row["openid"] for row in listed] == [openid_for(APPID, "bob"),
                                                 openid_for(APPID, "alice")]
    session = WxSession.objects.get(user=user_of("alice"))
    assert listed[1] == {
        "id": session.pk, "digest_prefix": session.digest[:8], "user_id": session.user_id,
        "username": session.user.username, "openid": openid_for(APPID, "alice"),
        "appid": APPID, "method": "wechat", "surface": "miniprogram",
        "created_at": listed[1]["created_at"],
        "expires_at": listed[1]["expires_at"], "last_seen_at": listed[1]["last_seen_at"],
        "ip_address": "127.0.0.1", "user_agent": "",
    }
    assert listed[1]["expires_at"].startswith(
        session.expires_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))
    assert session.digest not in out and session.digest[:9] not in out
    for token in tokens.values():
        assert token not in out


def test_sessions_when_there_are_none(tokens):
    assert run("wxlogin_sessions", "--expired") == "No sessions.\n"
    assert json.loads(run("wxlogin_sessions", "--expired", "--json")) == []


def test_sessions_expired(tokens):
    stale = make_sessions(user_of("alice"), 1, expires_at=timezone.now() - timedelta(hours=1))
    listed = json.loads(run("wxlogin_sessions", "--json", "--expired"))
    assert [row["digest_prefix"] for row in listed] == [token_digest(stale[0])[:8]]
    assert len(json.loads(run("wxlogin_sessions", "--json"))) == 3


def test_sessions_unknown_user(tokens):
    with pytest.raises(CommandError, match=re.escape("No user has the id or username 'ghost'.")):
        run("wxlogin_sessions", "--user", "ghost")


# wxlogin_purge

@pytest.fixture
def dead_and_alive(tokens):
    """Besides the three live sessions: two dead long ago, two dead recently."""
    now = timezone.now()
    alice = user_of("alice")
    make_sessions(alice, 1, created_at=now - timedelta(days=50),
                  expires_at=now - timedelta(days=40))
    make_sessions(alice, 1, revoked_at=now - timedelta(days=31),
                  revoke_reason=RevokeReason.LOGOUT)
    make_sessions(alice, 1, expires_at=now - timedelta(days=1))
    make_sessions(alice, 1, revoked_at=now - timedelta(days=1), revoke_reason=RevokeReason.USER)
    return tokens


def test_purge_dry_run_deletes_nothing(dead_and_alive):
    out = run("wxlogin_purge", "--dry-run")
    assert out.startswith("Would delete 2 sessions that expired or were revoked before ")
    assert WxSession.objects.count() == 7


def test_purge_deletes_old_dead_sessions_in_batches(api, dead_and_alive):
    with CaptureQueriesContext(connection) as queries:
        out = run("wxlogin_purge", "--batch-size", "1")
    assert out.startswith("Deleted 2 sessions that expired or were revoked before ")
    assert sum(q["sql"].startswith("DELETE") for q in queries) == 2  # one row per batch
    assert WxSession.objects.count() == 5

    assert run("wxlogin_purge", "--days", "0").startswith("Deleted 2 sessions")
    assert WxSession.objects.count() == 3 == WxSession.objects.live().count()
    for token in dead_and_alive.values():
        assert status(api, token) == (200, None)


def test_purge_refuses_negative_days(dead_and_alive):
    with pytest.raises(CommandError, match=re.escape("--days cannot be negative.")):
        run("wxlogin_purge", "--days", "-1")
    assert WxSession.objects.count() == 7


def test_reencrypt_finishes_a_secret_key_rotation(login, settings):
    login("rory")
    login("sven")
    keys = dict(WxUser.objects.values_list("openid", "session_key"))
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-next-secret-key", [old]
    with connection.cursor() as cursor:  # one row that no key opens
        cursor.execute("UPDATE django_wxlogin_wxuser SET session_key = 'gAAAAAgarbage' "
                       "WHERE openid = %s", [next(iter(keys))])
    out, err = io.StringIO(), io.StringIO()
    call_command("wxlogin_reencrypt", stdout=out, stderr=err)
    assert out.getvalue() == "Re-encrypted 1 session key.\n"
    assert "1 session key could not be decrypted" in err.getvalue()
    settings.SECRET_KEY_FALLBACKS = []
    readable = {w.openid: w.session_key for w in WxUser.objects.all()}
    first, second = keys
    assert readable[second] == keys[second]
    assert readable[first] is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_key FROM django_wxlogin_wxuser WHERE openid = %s",
                       [first])
        assert cursor.fetchone()[0] == "gAAAAAgarbage"  # left as it was
