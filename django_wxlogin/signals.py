"""Signals for audit trails and analytics. Each is sent once the database has committed, so a
receiver never sees a login or revocation that was rolled back.

``user_created``    sender: the user model; ``user``, ``wxuser``, ``request``.
                    A first WeChat login made a new Django user.
``user_logged_in``  sender: the user model; ``user``, ``session``, ``request``, ``method``
                    ("wechat"). Django's own ``user_logged_in`` is sent too (it updates
                    ``last_login``).
``user_logged_out`` sender: the user model; ``user``, ``session``, ``request``,
                    ``everywhere`` (True for ``logout/all/``). Django's ``user_logged_out``
                    is sent too.
``session_revoked`` sender: ``WxSession``; ``sessions`` (a list of (session id, user id)),
                    ``reason`` (a ``RevokeReason``: logout, logout_all, single_session, user,
                    admin, command). Sent for every revocation, however it was made.
"""

from django.dispatch import Signal

user_created = Signal()
user_logged_in = Signal()
user_logged_out = Signal()
session_revoked = Signal()
