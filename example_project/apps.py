import os
import sys

from django.apps import AppConfig
from django.conf import settings


def wants_fake_wechat() -> bool:
    """The fake WeChat only when asked for: "manage.py runserver" with DEBUG on (the quick
    start), or WXLOGIN_FAKE_WECHAT=1; never when WXLOGIN_API_BASE_URL names a WeChat."""
    if os.environ.get("WXLOGIN_API_BASE_URL"):
        return False
    return settings.FAKE_WECHAT or (settings.DEBUG and "runserver" in sys.argv)


class ExampleConfig(AppConfig):
    name = "example_project"

    def ready(self) -> None:
        if wants_fake_wechat():
            # Each process serves its own fake on a free loopback port.
            from django_wxlogin.settings import wxlogin_settings
            from django_wxlogin.wechat.fake import FakeWeChat

            fake = FakeWeChat({app.appid: app.secret for app in wxlogin_settings.apps}).start()
            settings.WXLOGIN["API_BASE_URL"] = settings.WXLOGIN["OPEN_BASE_URL"] = fake.url
            if not settings.DEBUG:
                print("Warning: the fake WeChat is on (WXLOGIN_FAKE_WECHAT) with DEBUG off: "
                      "anyone can log in as anyone. Never do this in production.",
                      file=sys.stderr)
        if not settings.REDIS_URL and ("runserver" in sys.argv or "gunicorn" in sys.argv[0]):
            print("Warning: REDIS_URL is not set; sessions live in this process's memory.",
                  file=sys.stderr)
