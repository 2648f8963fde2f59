"""System checks of the message-push settings (``wxlogin.E060``-``E064``)."""

from __future__ import annotations

import re
from typing import Any

from django.core.checks import Error, Tags, register

from ..settings import wxlogin_settings
from ..wechat import push_protocol

_TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")  # what WeChat's console accepts


@register(Tags.security, Tags.compatibility)
def check_push(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    try:
        apps = wxlogin_settings.apps
    except Exception:  # malformed APPS: the main checks say so
        return []
    messages: list[Any] = []
    for app in apps:
        label = f"The message push of {app.name or app.appid}"
        if app.token and not _TOKEN.fullmatch(app.token):
            messages.append(Error(f"{label} has an invalid TOKEN.",
                                  hint="3 to 32 letters or digits, as the console sets it.",
                                  id="wxlogin.E060"))
        if app.encoding_aes_key:
            try:
                push_protocol.aes_key(app.encoding_aes_key)
            except push_protocol.PushFormatError:
                messages.append(Error(f"{label} has an invalid ENCODING_AES_KEY.",
                                      hint="Copy the console's 43-character EncodingAESKey.",
                                      id="wxlogin.E061"))
            if not app.token:
                messages.append(Error(f"{label} has an ENCODING_AES_KEY but no TOKEN.",
                                      hint="Set the console's Token too.", id="wxlogin.E063"))
        if app.push_format not in push_protocol.FORMATS:
            messages.append(Error(f"{label} has an invalid PUSH_FORMAT.",
                                  hint='"json" or "xml", as chosen in the console.',
                                  id="wxlogin.E062"))
    for name in ("PUSH_MAX_AGE", "PUSH_DEDUP_TTL"):
        value = wxlogin_settings.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            messages.append(Error(f"WXLOGIN['{name}'] must be a positive number of seconds.",
                                  id="wxlogin.E064"))
    return messages
