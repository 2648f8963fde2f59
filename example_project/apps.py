import os
import sys

from django.apps import AppConfig
from django.conf import settings


class ExampleConfig(AppConfig):
    name = "example_project"

    def ready(self) -> None:
        if "WXLOGIN_API_BASE_URL" not in os.environ:
            # No WeChat here: each process serves its own fake on a free loopback port.
            from django_wxlogin.settings import wxlogin_settings
            from django_wxlogin.wechat.fake import FakeWeChat

            fake = FakeWeChat({app.appid: app.secret for app in wxlogin_settings.apps}).start()
            settings.WXLOGIN["API_BASE_URL"] = fake.url
        if not settings.REDIS_URL and ("runserver" in sys.argv or "gunicorn" in sys.argv[0]):
            print("Warning: REDIS_URL is not set; sessions live in this process's memory.",
                  file=sys.stderr)
