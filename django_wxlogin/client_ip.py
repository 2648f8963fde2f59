"""The client's IP address, for throttling and for the sessions list.

``REMOTE_ADDR`` unless ``REST_FRAMEWORK["NUM_PROXIES"]`` declares how many proxies of yours sit in
front: then the address that many entries from the right of ``X-Forwarded-For``, the one your
outermost proxy saw. A client can prepend whatever it likes to that header, never append, so
counting from the right cannot be spoofed; without ``NUM_PROXIES`` the header is ignored.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from rest_framework.settings import api_settings


def client_ip(request: Any) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = api_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            remote = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(remote)) if remote else None
    except ValueError:
        return None
