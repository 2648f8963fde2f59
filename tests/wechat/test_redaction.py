"""Secret query parameters scrubbed from text the HTTP stack logs."""

from __future__ import annotations

from django_wxlogin.wechat.redaction import redact


def test_redact():
    assert redact("/x?appid=wx1&secret=abc&js_code=c0de&grant_type=a") == \
        "/x?appid=wx1&secret=***&js_code=***&grant_type=a"
    assert redact("access_token=t0k3n") == "access_token=***"
