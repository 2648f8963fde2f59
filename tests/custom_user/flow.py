"""The login flow under a custom user model (collected only by tests/test_users.py)."""

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_logout_with_a_uuid_user(api, login):
    body = login("uma").json()
    user = get_user_model().objects.get()
    assert user.handle.startswith("wx_") and str(user.pk) == str(body["user"]["id"])
    token = body["token"]
    assert api.get("/whoami/", **bearer(token)).json()["user"] == str(user.pk)
    assert api.post("/wx/logout/", **bearer(token)).status_code == 204
    assert api.get("/whoami/", **bearer(token)).status_code == 401
