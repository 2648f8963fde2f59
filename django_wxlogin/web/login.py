"""WeChat web login, from the first redirect to the logged-in browser.

``begin`` sends the browser to WeChat with a browser-bound ``state`` (:mod:`.states`);
``finish`` takes WeChat's callback: it claims the state, trades the code once, applies the
identity rules (:mod:`django_wxlogin.identities`), and delivers the session as a cookie or as
a one-time exchange code in ``next``'s fragment (never in a query string, which servers log).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from rest_framework.exceptions import AuthenticationFailed

from .. import signals
from ..exceptions import InvalidCode
from ..identities import linking
from ..identities.errors import SnapshotUser
from ..sessions import store
from ..settings import WxApp, wxlogin_settings
from ..wechat import oauth
from ..wechat.client import WeChatClient
from . import states
from .delivery import issue_exchange_code, log_in_browser, set_session_cookie
from .errors import InvalidState
from .redirects import safe_next

EXCHANGE_FRAGMENT = "wxlogin_code"


def _callback_uri(request: Any, app: WxApp) -> str:
    return request.build_absolute_uri(
        reverse("wxlogin:web-callback", args=[app.name or app.appid]))


def begin(request: Any, app: WxApp, next_url: str | None, *, exchange: bool,
          scope: str | None = None) -> HttpResponseRedirect:
    """The redirect to WeChat's authorize (or qrconnect) page, with this browser's state."""
    login = states.Login(app.appid, safe_next(request, next_url), exchange)
    state, binding = states.start(request, login)
    response = HttpResponseRedirect(oauth.authorize_url(
        app, _callback_uri(request, app), scope or oauth.default_scope(app), state))
    states.set_binding_cookie(request, response, binding)
    return response


def _delivered(login: states.Login, secret: str) -> HttpResponseRedirect:
    if login.exchange:
        return HttpResponseRedirect(f"{login.next}#{urlencode({EXCHANGE_FRAGMENT: secret})}")
    return HttpResponseRedirect(login.next)


def finish(request: Any, app: WxApp, state: str, code: str) -> HttpResponseRedirect:
    """WeChat's callback: the browser logged in and sent on to ``next``."""
    if not code:
        raise InvalidCode(errcode=41008)  # the user refused, or the code was lost
    login, first = states.claim(request, state, code, app.appid)
    if not first:  # WeChat loaded the callback twice: the same login, not a second one
        secret = states.unseal(request, state)
        response = _delivered(login, secret)
        if not login.exchange:
            try:
                _, session = store.authenticate(secret)
            except AuthenticationFailed:  # logged out, or revoked, since: a replay
                raise InvalidState() from None
            left = int((session.expires_at - timezone.now()).total_seconds())
            set_session_cookie(request, response, secret, max(1, left))
        return response
    client = WeChatClient(app.appid, app.secret)
    identity = oauth.exchange_code(client, code)
    if identity.snapshot:
        raise SnapshotUser()
    if identity.scope == oauth.BASE and not identity.unionid \
            and not linking.known(app, identity.openid):
        # Rule 4: a silent login of someone we don't know asks for the profile (and unionid)
        # instead of making an identity without its unionid.
        return begin(request, app, login.next, exchange=login.exchange, scope=oauth.USERINFO)
    identity = oauth.userinfo(client, identity)
    with transaction.atomic():
        linked = linking.link(identity, app)
        user = linked.wxuser.user
        if linked.user_created:
            wxuser = linked.wxuser
            transaction.on_commit(lambda: signals.user_created.send(
                sender=type(user), user=user, wxuser=wxuser, request=request))
        if login.exchange:
            secret = issue_exchange_code(user, appid=app.appid, surface=app.kind,
                                         request=request)
            response = _delivered(login, secret)
        else:
            response = _delivered(login, "")
            log_in_browser(request, response, user, appid=app.appid, surface=app.kind)
            secret = response.cookies[wxlogin_settings.WEB_COOKIE_NAME].value
    states.seal(request, state, secret)
    return response
