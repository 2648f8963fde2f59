"""A mobile app's WeChat login: the SDK's code goes to ``sns/oauth2/access_token`` once (the
same lock as mini program codes), the identity is linked by the identity rules, and a session
of the app's kind is issued, as ``users.login`` does for mini programs."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .. import signals
from ..identities import linking
from ..models import LoginMethod
from ..sessions import store
from ..settings import WxApp
from ..users import Login
from ..wechat import oauth
from ..wechat.client import WeChatClient
from ..wechat.code_lock import trade_once


def login(app: WxApp, code: str, request: Any) -> Login:
    client = WeChatClient(app.appid, app.secret)
    identity = trade_once(client, code, lambda c: oauth.exchange_code(client, c))
    identity = oauth.userinfo(client, identity)
    with transaction.atomic():
        linked = linking.link(identity, app)
        user = linked.wxuser.user
        token, session = store.issue(user, request=request, appid=app.appid, surface=app.kind)
        signals.send_login(request, user, session, LoginMethod.WECHAT,
                           wxuser=linked.wxuser if linked.user_created else None)
    return Login(token=token, session=session, wxuser=linked.wxuser, created=linked.created,
                 user_created=linked.user_created)
