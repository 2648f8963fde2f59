"""Keeping secrets out of the logs of the HTTP stack.

The appsecret rides in query strings (WeChat wants it there), and so do login codes and access
tokens; urllib3 logs request URLs at DEBUG level. Every such record is scrubbed before any
handler sees it.
"""

from __future__ import annotations

import logging
import re

_SECRET_PARAMS = re.compile(
    r"(?P<name>secret|js_code|code|access_token|refresh_token|session_key|signature)=[^&\s\"'#]*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the values of secret-bearing query parameters replaced by ``***``."""
    return _SECRET_PARAMS.sub(r"\g<name>=***", text)


class RedactSecrets(logging.Filter):
    """Scrubs secret query parameters from records that urllib3 logs at DEBUG level."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = redact(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def install_log_redaction() -> None:
    """Attach :class:`RedactSecrets` to the loggers that print request URLs (idempotent)."""
    for name in ("urllib3.connectionpool", "urllib3.connection", "requests"):
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in target.filters):
            target.addFilter(RedactSecrets())
