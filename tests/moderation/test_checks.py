"""System checks of the content-check settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django_wxlogin.moderation.checks import check_content_settings


def _ids(settings, **wxlogin) -> list[str]:
    settings.WXLOGIN = {**settings.WXLOGIN, "TOKEN": "pushtoken", **wxlogin}
    return sorted(m.id for m in check_content_settings())


@pytest.mark.parametrize(("wxlogin", "expected"), [
    ({}, []),
    ({"CONTENT_CHECKS": "wechat"}, []),
    ({"CONTENT_CHECKS": "wechat", "TOKEN": ""}, ["wxlogin.W071"]),
    ({"CONTENT_CHECKS": "tests.moderation.conftest.RefuseCats", "TOKEN": ""}, []),
    ({"CONTENT_CHECKS": "tests.moderation.conftest.RefuseCats"}, []),
    ({"CONTENT_CHECKS": "tests.moderation.conftest.image"}, ["wxlogin.E070"]),
    ({"CONTENT_CHECKS": 3}, ["wxlogin.E070"]),
    ({"CONTENT_CHECKS": "tests.nowhere.Checker"}, ["wxlogin.E071"]),
    ({"CONTENT_CHECKS": "wechat", "CONTENT_CHECK_UNSURE": "maybe"}, ["wxlogin.E072"]),
    ({"CONTENT_CHECKS": "wechat", "AVATAR_REVIEW_EXPIRED": "keep"}, ["wxlogin.E073"]),
    ({"CONTENT_CHECKS": "wechat", "AVATAR_REVIEW_TIMEOUT": 0}, ["wxlogin.E074"]),
    ({"CONTENT_CHECKS": "wechat", "AVATAR_REVIEW_TIMEOUT": "soon"}, ["wxlogin.E074"]),
    ({"CONTENT_CHECKS": "wechat", "AVATAR_REVIEW_TIMEOUT": timedelta(minutes=10)},
     ["wxlogin.W070"]),
])
def test_content_settings(settings, wxlogin, expected):
    assert _ids(settings, **wxlogin) == expected
