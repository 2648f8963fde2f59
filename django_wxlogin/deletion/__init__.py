"""Account deletion (账号注销) and WeChat's privacy events: a person closes their account
(``POST account/delete/``) and, after a grace period, everything the package holds about them is
erased; WeChat's pushes of withdrawn consent and closed WeChat accounts erase what they name.
Each step leaves an audit record that names people by a keyed hash only."""
