from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WxLoginConfig(AppConfig):
    name = "django_wxlogin"
    label = "django_wxlogin"
    verbose_name = _("WeChat login")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import audit, checks, receivers  # noqa: F401  (registers checks, receivers)
        from .deletion import checks as deletion_checks  # noqa: F401
        from .deletion import events  # noqa: F401  (registers the privacy push handlers)
        from .moderation import checks as moderation_checks  # noqa: F401
        from .moderation import push as moderation_push  # noqa: F401  (its push handler)
        from .push import checks as push_checks  # noqa: F401
        from .scan import checks as scan_checks  # noqa: F401  (registers scan login's checks)
        from .web import checks as web_checks  # noqa: F401  (registers web login's checks)
        from .wechat.api_security import checks as api_security_checks  # noqa: F401
        from .wechat.redaction import install_log_redaction

        receivers.connect()
        install_log_redaction()
