"""WeChat's errcodes, as the client raises them: typed errors, matched on the errcode."""

from __future__ import annotations

import pytest

from django_wxlogin import exceptions


@pytest.mark.parametrize(("errcode", "error"), [
    (40029, exceptions.InvalidCode),
    (40163, exceptions.InvalidCode),
    (41008, exceptions.InvalidCode),
    (45011, exceptions.WeChatRateLimited),
    (40226, exceptions.UserBlocked),
    (-1, exceptions.WeChatUnavailable),
    (40013, exceptions.WeChatMisconfigured),
    (40125, exceptions.WeChatMisconfigured),
    (41002, exceptions.WeChatMisconfigured),
    (99999, exceptions.WeChatUnavailable),
])
def test_errcodes_map_to_typed_errors(client, errcode, error):
    with pytest.raises(error) as caught:
        client.code2session(f"err.{errcode}")
    assert caught.type is error
    assert caught.value.errcode == errcode
