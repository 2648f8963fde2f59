"""``manage.py wxlogin_checksession OPENID [--app APP]``: is the stored session_key still valid?"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exceptions import UnknownApp, WeChatError
from ...models import WxUser
from ...settings import wxlogin_settings
from ...wechat.session_keys import check_session_key


class Command(BaseCommand):
    help = ("Ask WeChat whether the session_key stored for an openid is still valid. Prints "
            "\"valid\", or fails with exit status 1 when the user must call wx.login again.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("openid")
        parser.add_argument("--app", help="the mini program's NAME or APPID (when several "
                                          "hold this openid)")

    def handle(self, *args: Any, openid: str, app: str | None, **options: Any) -> None:
        identities = WxUser.objects.filter(openid=openid)
        try:
            if app is not None:
                identities = identities.filter(appid=wxlogin_settings.app(app).appid)
            found = list(identities[:2])
            if not found:
                raise CommandError("No WeChat user has that openid.")
            if len(found) > 1:
                raise CommandError("Several mini programs have that openid: pass --app.")
            valid = check_session_key(found[0])
        except (UnknownApp, WeChatError) as exc:
            raise CommandError(str(exc.detail)) from None
        if not valid:
            raise CommandError("invalid: the stored session_key is stale or missing; the user "
                               "must call wx.login again.", returncode=1)
        self.stdout.write("valid")
