"""Signals for audit trails and analytics. Each is sent once the database has committed, so a
receiver never sees a login or revocation that was rolled back.

``user_created``    sender: the user model; ``user``, ``wxuser``, ``request``.
                    A first WeChat login made a new Django user.
``user_logged_in``  sender: the user model; ``user``, ``session``, ``request``, ``method``
                    ("wechat" or "password"). Django's own ``user_logged_in`` is sent too
                    (it updates ``last_login``).
``user_logged_out`` sender: the user model; ``user``, ``session``, ``request``,
                    ``everywhere`` (True for ``logout/all/``). Django's ``user_logged_out``
                    is sent too.
``session_revoked`` sender: ``WxSession``; ``sessions`` (a list of (session id, user id)),
                    ``reason`` (a ``RevokeReason``: logout, logout_all, single_session, user,
                    admin, command, merged, unbind). Sent for every revocation, however it
                    was made.
``identity_conflict`` sender: ``IdentityConflict``; ``conflict``. A login showed that two
                    users are one person (the identity of one came with a unionid the other
                    holds); nothing was merged (see ``identities``).
``accounts_merged`` see below: sent inside ``bind/``'s transaction, before the retired user is
                    deleted.
"""

from typing import Any

from django.contrib.auth import signals as auth_signals
from django.db import transaction
from django.dispatch import Signal

user_created = Signal()
user_logged_in = Signal()
user_logged_out = Signal()
session_revoked = Signal()
identity_conflict = Signal()

#: Sent when ``bind/`` merges a WeChat-only user into an existing account, inside the binding's
#: transaction: the user's WeChat identities (with their profiles) and sessions already belong
#: to ``account``, and ``retired_user`` is deleted right after. Move your own rows that point
#: at ``retired_user`` here, or they are deleted with it (or, with ``on_delete=PROTECT``, the
#: binding is refused). Raise to refuse the binding: nothing is changed then.
#: Arguments: ``sender`` (the user model), ``retired_user``, ``account``, ``request``.
#: ``manage.py wxlogin_merge`` sends it too (``request`` None), when it merges the two users
#: of an ``IdentityConflict``.
accounts_merged = Signal()


def _django_request(request: Any) -> Any:
    return getattr(request, "_request", request)  # DRF's Request wraps Django's


def send_login(request: Any, user: Any, session: Any, method: str, wxuser: Any = None) -> None:
    """After the commit: ``user_created`` (when ``wxuser``, a new user's identity, is given),
    then ``user_logged_in`` and Django's ``user_logged_in`` (which updates ``last_login``)."""
    def send() -> None:
        if wxuser is not None:
            user_created.send(sender=type(user), user=user, wxuser=wxuser, request=request)
        user_logged_in.send(sender=type(user), user=user, session=session, request=request,
                            method=method)
        auth_signals.user_logged_in.send(sender=type(user), request=_django_request(request),
                                         user=user)

    transaction.on_commit(send)


def send_logout(request: Any, *, everywhere: bool) -> None:
    """After the commit: ``user_logged_out`` and Django's ``user_logged_out``."""
    user, session = request.user, request.auth

    def send() -> None:
        user_logged_out.send(sender=type(user), user=user, session=session, request=request,
                             everywhere=everywhere)
        auth_signals.user_logged_out.send(sender=type(user), request=_django_request(request),
                                          user=user)

    transaction.on_commit(send)
