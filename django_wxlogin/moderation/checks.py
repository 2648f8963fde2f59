"""System checks of the content-check settings: ``wxlogin.E070``-``E079`` and
``wxlogin.W070``-``W079``. (Checks off is a choice, not a warning: a mini program where nobody
sets a nickname or avatar needs none; going-live.md says when they are needed.)"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from ..settings import wxlogin_settings
from .checkers import ContentChecker

WECHAT_VERDICT_WINDOW = 30 * 60  # WeChat pushes a media verdict within 30 minutes


def _check_checker() -> list[Any]:
    configured = wxlogin_settings.CONTENT_CHECKS
    if configured in (None, "wechat"):
        return []
    hint = 'None, "wechat", or the dotted path of a ContentChecker subclass.'
    if not isinstance(configured, str) or not configured:
        return [Error("WXLOGIN['CONTENT_CHECKS'] is not a checker.", hint=hint,
                      id="wxlogin.E070")]
    try:
        checker_class = import_string(configured)
    except ImportError:
        return [Error(f"WXLOGIN['CONTENT_CHECKS'] names nothing importable: {configured!r}.",
                      hint=hint, id="wxlogin.E071")]
    if not (isinstance(checker_class, type) and issubclass(checker_class, ContentChecker)):
        return [Error(f"WXLOGIN['CONTENT_CHECKS'] is not a ContentChecker: {configured!r}.",
                      hint=hint, id="wxlogin.E070")]
    return []


@register(Tags.security, Tags.compatibility)
def check_content_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages = _check_checker()
    if wxlogin_settings.CONTENT_CHECK_UNSURE not in ("hold", "accept"):
        messages.append(Error("WXLOGIN['CONTENT_CHECK_UNSURE'] must be \"hold\" or \"accept\".",
                              id="wxlogin.E072"))
    if wxlogin_settings.AVATAR_REVIEW_EXPIRED not in ("drop", "publish"):
        messages.append(Error("WXLOGIN['AVATAR_REVIEW_EXPIRED'] must be \"drop\" or "
                              "\"publish\".", id="wxlogin.E073"))
    try:
        window = wxlogin_settings.avatar_review_timeout_seconds
    except (TypeError, ValueError):
        window = 0
    if window <= 0:
        messages.append(Error("WXLOGIN['AVATAR_REVIEW_TIMEOUT'] must be a positive duration.",
                              hint="Seconds or a timedelta; an hour leaves WeChat's 30 minutes "
                                   "room.", id="wxlogin.E074"))
    elif window < WECHAT_VERDICT_WINDOW and wxlogin_settings.CONTENT_CHECKS == "wechat":
        messages.append(Warning(
            "WXLOGIN['AVATAR_REVIEW_TIMEOUT'] is shorter than the 30 minutes WeChat may take "
            "to push an avatar's verdict.", hint="Verdicts arriving later are ignored: make it "
            "at least 30 minutes.", id="wxlogin.W070"))
    if wxlogin_settings.CONTENT_CHECKS == "wechat":
        messages.extend(_check_push())
    return messages


def _check_push() -> list[Any]:
    try:
        apps = wxlogin_settings.apps
    except Exception:  # malformed APPS: the main checks report it
        return []
    return [Warning(f"Content checks are on but app {app.appid} has no message-push TOKEN: "
                    "its avatar verdicts cannot arrive, and every avatar waits until "
                    "AVATAR_REVIEW_TIMEOUT.", hint="Set up message push (TOKEN, and "
                    "ENCODING_AES_KEY for safe mode) for the app.", id="wxlogin.W071")
            for app in apps if not app.token]

