"""The admin of closures and of the privacy trail: pending closures listed and cancellable,
no openid on any page."""

from __future__ import annotations

import pytest

from django_wxlogin.deletion.models import AccountClosure, PrivacyRecord

from ..conftest import fresh_code
from ..test_admin import run_action
from .conftest import client_of

pytestmark = pytest.mark.django_db(transaction=True)
CLOSURES = "/admin/django_wxlogin/accountclosure/"
RECORDS = "/admin/django_wxlogin/privacyrecord/"


def test_a_pending_closure_is_listed_and_cancelled_in_the_admin(admin_client, person):
    answer = client_of(person.token).post("/wx/account/delete/", {"code": fresh_code("pat")},
                                          format="json")
    assert answer.status_code == 202
    listing = admin_client.get(CLOSURES + "?state__exact=pending")
    assert listing.status_code == 200 and person.openid not in listing.content.decode()
    closure = AccountClosure.objects.get()
    assert [c.pk for c in listing.context["cl"].result_list] == [closure.pk]
    done = run_action(admin_client, CLOSURES, "cancel_closures", [closure.pk])
    assert "Cancelled 1 closure." in done.content.decode()
    closure.refresh_from_db()
    assert closure.state == "cancelled"
    assert PrivacyRecord.objects.filter(action="closure_cancelled",
                                        outcome="by=admin").exists()
    trail = admin_client.get(RECORDS)
    assert trail.status_code == 200 and person.openid not in trail.content.decode()
    assert admin_client.get(f"{RECORDS}add/").status_code == 403
