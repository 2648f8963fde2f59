"""WeChat Mini Program login for Django REST framework.

The public entry points (everything else is internal and may change):

- ``django_wxlogin.authentication.WxTokenAuthentication``: the DRF authentication class.
- ``django_wxlogin.urls``: the URLconf, ``path("wx/", include("django_wxlogin.urls"))``.
- ``django_wxlogin.exceptions.exception_handler``: DRF's ``EXCEPTION_HANDLER``, rendering
  ``{"code", "detail"}``; the error classes in ``django_wxlogin.exceptions``.
- ``django_wxlogin.signals``: ``user_created``, ``user_logged_in``, ``user_logged_out``,
  ``session_revoked``, ``accounts_merged``, ``content_refused``.
- ``django_wxlogin.settings.wxlogin_settings``: the ``WXLOGIN`` settings, read live.
- ``django_wxlogin.models``: ``WxUser`` and ``WxSession``.
- ``django_wxlogin.users.create_user``: the default ``CREATE_USER``.
- ``django_wxlogin.views.current_identity``: the ``WxUser`` of a request's session.
- ``django_wxlogin.sessions.revocation``: ``revoke``, ``revoke_user``, ``revoke_sessions``
  and ``revoke_batched``, for revoking from your own code.
- ``django_wxlogin.wechat.access_token.for_app``: the shared access token, for your own calls
  to WeChat.
- ``django_wxlogin.wechat.decryption``: ``decrypt`` and ``decrypt_for``;
  ``django_wxlogin.wechat.signatures``: ``verify_raw_data`` and ``verify_login_state``;
  ``django_wxlogin.wechat.session_keys.check_session_key``.
- ``django_wxlogin.moderation.checkers``: ``ContentChecker`` and ``Outcome``, for a
  ``CONTENT_CHECKS`` of your own; ``django_wxlogin.moderation.reviews.apply_verdict`` for its
  verdicts that come later.
- ``django_wxlogin.wechat.fake.FakeWeChat``: a WeChat server on loopback for tests and
  development (``python -m django_wxlogin.wechat.fake``).
- The ``wxlogin_*`` management commands.

ARCHITECTURE.md at the repository root maps the modules.
"""

__version__ = "0.1.0"
