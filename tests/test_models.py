"""WxSession's querysets agree with what authentication accepts."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from django_wxlogin.models import WxSession

pytestmark = pytest.mark.django_db


def _session(user, name, **fields):
    now = timezone.now()
    values = {"expires_at": now + timedelta(days=1), "last_seen_at": now, **fields}
    return WxSession.objects.create(user=user, digest=name.ljust(64, "0"), **values)


def test_live_and_expired_split_sessions_by_time_and_idleness(settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "IDLE_TIMEOUT": 600}
    user = get_user_model().objects.create(username="lena")
    now = timezone.now()
    fresh = _session(user, "a")
    idle = _session(user, "b", last_seen_at=now - timedelta(minutes=11))
    old = _session(user, "c", expires_at=now - timedelta(seconds=1))
    revoked = _session(user, "d", revoked_at=now)
    never_seen = _session(user, "e", last_seen_at=None)
    assert set(WxSession.objects.live()) == {fresh, never_seen}
    assert set(WxSession.objects.expired()) == {idle, old}
    assert revoked not in WxSession.objects.live() | WxSession.objects.expired()
    settings.WXLOGIN = {**settings.WXLOGIN, "IDLE_TIMEOUT": None}
    assert set(WxSession.objects.live()) == {fresh, idle, never_seen}
