"""Asking WeChat whether a stored ``session_key`` is still the user's current one.

Any later ``wx.login`` may replace it; decryption and signatures then fail. Use it from a
shell (``check_session_key(WxUser.objects.get(openid=...))``) or with
``manage.py wxlogin_checksession OPENID``.
"""

from __future__ import annotations

from ..exceptions import WeChatError
from ..models import WxUser
from ..settings import wxlogin_settings
from . import access_token
from .signatures import login_state_signature

INVALID_SIGNATURE = 87009


def check_session_key(wxuser: WxUser) -> bool:
    """True if WeChat still holds ``wxuser``'s stored session_key (False if none is stored).

    Needs the identity's app among the configured ones, and costs an access token.
    """
    if not wxuser.session_key:
        return False
    app = wxlogin_settings.app(wxuser.appid)
    try:
        access_token.for_app(app).request("GET", "/wxa/checksession", params={
            "openid": wxuser.openid,
            "signature": login_state_signature(wxuser.session_key),
            "sig_method": "hmac_sha256",
        })
    except WeChatError as exc:
        if exc.errcode == INVALID_SIGNATURE:
            return False
        raise
    return True
