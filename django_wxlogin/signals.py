"""The package's signals."""

from django.dispatch import Signal

#: Sent when ``bind/`` merges a WeChat-only user into an existing account, inside the binding's
#: transaction: the user's WeChat identities (with their profiles) and sessions already belong
#: to ``account``, and ``retired_user`` is deleted right after. Move your own rows that point
#: at ``retired_user`` here, or they are deleted with it (or, with ``on_delete=PROTECT``, the
#: binding is refused). Raise to refuse the binding: nothing is changed then.
#: Arguments: ``sender`` (the user model), ``retired_user``, ``account``, ``request``.
accounts_merged = Signal()
