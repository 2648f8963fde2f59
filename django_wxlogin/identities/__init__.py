"""One person, one Django user, on every WeChat surface: the identity graph.

An identity (``WxUser``) is one openid in one app of one kind, linked to one user; a unionid
links the identities of one person across the apps of one Open Platform account. The rules
(:mod:`.linking`, :mod:`.conflicts`, :mod:`.merge`):

1. A new identity whose unionid a user already holds joins that user.
2. A new identity without a unionid makes a new user: nothing joins by guesswork (no
   nickname, phone or avatar matching).
3. A snapshot page's virtual identity (``is_snapshotuser``) never creates or joins a user.
4. A silent ``snsapi_base`` login of an openid we don't know, without a unionid, continues to
   ``snsapi_userinfo`` (web login does that), so no identity is created without its unionid.
5. When a login shows that two existing users are one person (an identity of user A comes
   with a unionid user B holds), nothing is merged: A logs in as A, the unionid stays B's,
   an ``IdentityConflict`` is recorded (listed in the admin) and ``identity_conflict`` is sent.
   ``manage.py wxlogin_merge`` merges on an operator's word, sending ``accounts_merged`` so
   the project moves its own rows first; a user that is more than WeChat logins, or rows
   that protect it, refuse the merge: nothing is lost.
"""
