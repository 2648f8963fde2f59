"""System checks of the account-deletion settings (``wxlogin.E065``, ``E066``, ``W060``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.checks import Error, Tags, Warning, register

from ..settings import wxlogin_settings

ERASE_USER_CHOICES = ("anonymise", "delete")
# 15 working days are at least 15 calendar days (more with weekends): a grace period longer
# than 14 days, plus a daily cron, may end after them.
LONGEST_GRACE = timedelta(days=14)


@register(Tags.compatibility)
def check_deletion(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    grace = wxlogin_settings.CLOSURE_GRACE_PERIOD
    if isinstance(grace, int | float) and not isinstance(grace, bool):
        grace = timedelta(seconds=grace)
    if not isinstance(grace, timedelta) or grace < timedelta(0):
        messages.append(Error("WXLOGIN['CLOSURE_GRACE_PERIOD'] must be a timedelta or a "
                              "number of seconds, at least 0.", hint="e.g. timedelta(days=14)",
                              id="wxlogin.E065"))
    elif grace > LONGEST_GRACE:
        messages.append(Warning(
            "WXLOGIN['CLOSURE_GRACE_PERIOD'] is longer than 14 days: erasure may end after the "
            "15 working days a closure should take.", hint="14 days or less, with a daily "
            "'manage.py wxlogin_erase --due' cron.", id="wxlogin.W060"))
    if wxlogin_settings.ERASE_USER not in ERASE_USER_CHOICES:
        messages.append(Error("WXLOGIN['ERASE_USER'] must be \"anonymise\" or \"delete\".",
                              id="wxlogin.E066"))
    return messages
