from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WxLoginConfig(AppConfig):
    name = "django_wxlogin"
    label = "django_wxlogin"
    verbose_name = _("WeChat login")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import audit, checks, receivers  # noqa: F401  (registers checks, receivers)
        from .scan import checks as scan_checks  # noqa: F401  (registers scan login's checks)
        from .web import checks as web_checks  # noqa: F401  (registers web login's checks)
        from .wechat.redaction import install_log_redaction

        receivers.connect()
        install_log_redaction()
