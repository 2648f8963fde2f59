"""Throttling per client network and per account, counted atomically in Redis (in the process
while Redis cannot count password guesses); WeChat is not called once throttled."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from django.db import connection
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from django_wxlogin.throttling import LOCKOUT_MAX

from .conftest import fresh_code, run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_window")]


def _post(api, ip, **extra):
    return api.post("/wx/login/", {"code": fresh_code("vic")}, format="json", REMOTE_ADDR=ip,
                    **extra)


def test_login_is_throttled_per_ip(api, settings, fake_wechat):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "3/min"}
    assert [_post(api, "10.0.0.1").status_code for _ in range(3)] == [200] * 3
    calls = len(fake_wechat.calls("/sns/jscode2session"))
    response = _post(api, "10.0.0.1")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    assert len(fake_wechat.calls("/sns/jscode2session")) == calls
    assert _post(api, "10.0.0.2").status_code == 200


def test_x_forwarded_for_is_ignored_unless_proxies_are_declared(api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "1/min"}
    assert _post(api, "10.0.0.3", HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 200
    spoofed = _post(api, "10.0.0.3", HTTP_X_FORWARDED_FOR="2.2.2.2")
    assert spoofed.status_code == 429


def test_behind_one_declared_proxy_the_forwarded_client_counts(api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert _post(api, "10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 200
    assert _post(api, "10.9.9.9", HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 200
    # A client prepending its own address cannot escape: the proxy's rightmost entry counts.
    assert _post(api, "10.9.9.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.1.1.1").status_code == 429


def test_a_rate_of_none_turns_it_off(api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": None}
    assert all(_post(api, "10.0.0.4").status_code == 200 for _ in range(5))


def test_throttling_lets_logins_through_while_redis_is_down(api, settings, private_redis):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "1/min"}
    private_redis.kill()
    assert _post(api, "10.0.0.5").status_code == 200
    assert _post(api, "10.0.0.5").status_code == 200


# Per network, per account, atomic, and closed while the cache cannot count.

PASSWORD = "correct horse battery staple"


def _guess(api, username="member", password="wrong", ip="10.8.0.1"):
    return api.post("/wx/login/password/", {"username": username, "password": password},
                    format="json", REMOTE_ADDR=ip)


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("member", password=PASSWORD)


def test_one_ipv6_network_is_one_client(api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "2/min"}
    assert _post(api, "2001:db8:5:5::1").status_code == 200
    assert _post(api, "2001:db8:5:5:ffff:ffff:ffff:fffe").status_code == 200
    # Another address of the same /64 is the same client ...
    assert _post(api, "2001:db8:5:5:1234::77").status_code == 429
    # ... another /64 is another one.
    assert _post(api, "2001:db8:5:6::1").status_code == 200


def test_clients_whose_address_does_not_parse_share_one_bucket(api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # A proxy that forwards garbage does not switch the limit off: one strict bucket.
    assert _post(api, "10.0.0.9", HTTP_X_FORWARDED_FOR="unknown").status_code == 200
    assert _post(api, "10.0.0.9", HTTP_X_FORWARDED_FOR="garbage").status_code == 429
    # One that appends a port still counts each client by its address.
    assert _post(api, "10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4:5678").status_code == 200
    assert _post(api, "10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4:5679").status_code == 429
    assert _post(api, "10.0.0.9", HTTP_X_FORWARDED_FOR="[2001:db8::1]:443").status_code == 200
    assert _post(api, "10.0.0.9", HTTP_X_FORWARDED_FOR="2001:db8::2").status_code == 429


def test_the_wechat_login_default_lets_a_crowd_behind_one_nat_in(api):
    # A class of 200 opening the mini program at once, all behind one carrier address.
    assert all(_post(api, "10.0.0.10").status_code == 200 for _ in range(200))


def test_a_burst_of_parallel_guesses_never_passes_the_limit(settings, member):
    settings.WXLOGIN = {**settings.WXLOGIN, "PASSWORD_RATE": "10/min", "ACCOUNT_RATE": None}
    statuses = run_together(30, lambda: _guess(APIClient(), ip="10.8.0.2").status_code)
    assert sorted(statuses) == [400] * 10 + [429] * 20


def test_wrong_passwords_lock_the_account_for_that_network_with_growing_lockouts(
        api, settings, member):
    settings.WXLOGIN = {**settings.WXLOGIN, "ACCOUNT_RATE": "3/min", "PASSWORD_RATE": None}
    start = datetime(2030, 1, 1, 0, 10, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False) as clock:
        assert [_guess(api, ip="10.9.0.1").status_code for _ in range(3)] == [400] * 3
        # Now even the right password waits, from that network ...
        locked = _guess(api, password=PASSWORD, ip="10.9.0.1")
        assert locked.status_code == 429 and locked.json()["code"] == "account_throttled"
        assert int(locked["Retry-After"]) == 60
        assert _guess(api, username="other", ip="10.9.0.1").status_code == 400  # others not
        # ... while the owner, on another network, gets in: strangers cannot lock them out.
        assert _guess(api, password=PASSWORD, ip="10.9.1.1").status_code == 200
        clock.move_to(start + timedelta(seconds=61))
        assert [_guess(api, ip="10.9.0.1").status_code for _ in range(3)] == [400] * 3
        assert int(_guess(api, password=PASSWORD, ip="10.9.0.1")["Retry-After"]) == 120
        clock.move_to(start + timedelta(seconds=61 + 121))
        assert _guess(api, password=PASSWORD, ip="10.9.0.1").status_code == 200


def test_a_parallel_burst_checks_no_more_than_the_limit(settings, member):
    """30 wrong passwords at once from one network: exactly ACCOUNT_RATE are checked, the rest
    refused before the hash; the owner elsewhere is not locked out."""
    settings.WXLOGIN = {**settings.WXLOGIN, "ACCOUNT_RATE": "5/min", "PASSWORD_RATE": None}
    statuses = run_together(30, lambda: _guess(APIClient(), ip="10.8.0.7").status_code)
    assert sorted(statuses) == [400] * 5 + [429] * 25
    assert _guess(APIClient(), password=PASSWORD, ip="10.8.0.7").status_code == 429
    assert _guess(APIClient(), password=PASSWORD, ip="10.8.9.9").status_code == 200


def test_every_spelling_the_database_matches_is_one_account(api, settings, member):
    """MariaDB's utf8mb4_unicode_ci finds "member" under each of these spellings: they share
    its guesses. PostgreSQL compares exactly: there they are other (unknown) names."""
    settings.WXLOGIN = {**settings.WXLOGIN, "ACCOUNT_RATE": "5/min", "PASSWORD_RATE": None}
    for name in ("Member", "MEMBER", "mémber", "MÉMBER", "membér"):
        assert _guess(api, username=name, ip="10.8.1.1").status_code == 400
    right = _guess(api, password=PASSWORD, ip="10.8.1.1").status_code
    assert right == (200 if connection.vendor == "postgresql" else 429)


def test_a_made_up_username_stores_only_short_lived_counters(api, settings, member):
    settings.WXLOGIN = {**settings.WXLOGIN, "ACCOUNT_RATE": "5/min", "PASSWORD_RATE": None}
    redis = get_redis_connection()
    before = set(redis.keys("*wxlogin-untracked:*"))
    assert _guess(api, username="nobody-at-all", ip="10.8.2.1").status_code == 400
    created = set(redis.keys("*wxlogin-untracked:*")) - before
    assert created and all(0 < redis.ttl(k) <= 120 for k in created)  # two windows
    for _ in range(4):  # locked out: a lockout and a strike count, at most LOCKOUT_MAX
        _guess(api, username="nobody-at-all", ip="10.8.2.1")
    created = set(redis.keys("*wxlogin-untracked:*")) - before
    assert len(created) == 3 and all(0 < redis.ttl(k) <= LOCKOUT_MAX for k in created)
    assert not any(b"nobody" in k for k in created)  # a digest, never the name


def test_bind_counts_against_the_account_too(api, settings, member):
    settings.WXLOGIN = {**settings.WXLOGIN, "ACCOUNT_RATE": "2/min", "PASSWORD_RATE": None}
    for _ in range(2):
        bound = api.post("/wx/bind/", {"username": "member", "password": "x",
                                       "bind_ticket": "t"}, format="json", REMOTE_ADDR="10.8.0.1")
        assert bound.status_code == 400
    assert _guess(api, password=PASSWORD, ip="10.8.0.1").status_code == 429


def test_password_limits_hold_while_redis_refuses_writes(api, settings, member, private_redis):
    settings.WXLOGIN = {**settings.WXLOGIN, "PASSWORD_RATE": "5/min", "ACCOUNT_RATE": "5/min"}
    # A full Redis with noeviction: every write answers OOM, reads still work.
    private_redis.client().config_set("maxmemory-policy", "noeviction")
    private_redis.client().config_set("maxmemory", 1)
    statuses = [_guess(api, ip="10.8.0.3").status_code for _ in range(20)]
    assert statuses[:5] == [400] * 5 and set(statuses[5:]) == {429}
    assert _guess(api, password=PASSWORD, ip="10.8.0.4").status_code == 200  # the owner
    private_redis.kill()  # and down altogether: still counted, in this process
    assert _guess(api, password=PASSWORD, ip="10.8.0.3").status_code == 429
