"""A password change that commits while a password login, a bind or a bind ticket is being
checked wins: the request whose check began with the old password gets no session, over HTTP
(the live server) on PostgreSQL and on MariaDB. The test holds the account's row lock while the
request checks the old password, changes the password under that lock, then lets go."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from django_wxlogin.models import WxSession, WxUser

from .conftest import fresh_code

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"
CREDENTIALS = {"username": "member", "password": PASSWORD}


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("member", password=PASSWORD)


def _lock_waits() -> int:
    """How many transactions wait for a row lock now."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        else:
            cursor.execute("SELECT count(*) FROM information_schema.innodb_trx "
                           "WHERE trx_state = 'LOCK WAIT'")
        return int(cursor.fetchone()[0])


def _racing_a_password_change(member, send) -> requests.Response:
    """``send()`` while the account's password changes between its check and its row lock."""
    answer: list[requests.Response | Exception] = []

    def attempt() -> None:
        try:
            answer.append(send())
        except Exception as exc:  # shown by the assertion below
            answer.append(exc)

    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=member.pk)
        request = threading.Thread(target=attempt)
        request.start()
        deadline = time.monotonic() + 90
        while not _lock_waits():  # until the old password is checked and the request waits
            assert request.is_alive() and time.monotonic() < deadline, \
                [getattr(a, "text", a) for a in answer]
            time.sleep(0.2)  # InnoDB refreshes innodb_trx only when unread for 0.1 s
        locked.set_password("a new password")
        locked.save()
    request.join(90)
    assert isinstance(answer[0], requests.Response), answer
    return answer[0]


def test_a_password_login_racing_a_password_change_is_refused(live_server, member):
    response = _racing_a_password_change(member, lambda: requests.post(
        f"{live_server.url}/wx/login/password/", json=CREDENTIALS, timeout=90))
    assert (response.status_code, response.json()["code"]) == (400, "invalid_credentials")
    assert not WxSession.objects.exists()


def test_a_bind_racing_a_password_change_is_refused(live_server, member, login):
    token = login("alice").json()["token"]
    response = _racing_a_password_change(member, lambda: requests.post(
        f"{live_server.url}/wx/bind/", json=CREDENTIALS,
        headers={"Authorization": f"Bearer {token}"}, timeout=90))
    assert (response.status_code, response.json()["code"]) == (400, "invalid_credentials")
    assert WxUser.objects.get().user_id != member.pk  # not merged
    assert not WxSession.objects.live().filter(user=member).exists()


def test_a_bind_ticket_racing_a_password_change_is_refused(live_server, member, api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "REQUIRE_ACCOUNT": True}
    refused = api.post("/wx/login/", {"code": fresh_code("bob")}, format="json")
    ticket = refused.json()["bind_ticket"]
    response = _racing_a_password_change(member, lambda: requests.post(
        f"{live_server.url}/wx/bind/", json={**CREDENTIALS, "bind_ticket": ticket}, timeout=90))
    assert (response.status_code, response.json()["code"]) == (400, "invalid_credentials")
    assert not WxUser.objects.exists() and not WxSession.objects.exists()
