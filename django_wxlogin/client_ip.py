"""The client's IP address, for throttling and for the sessions list, and its network.

``REMOTE_ADDR`` unless ``REST_FRAMEWORK["NUM_PROXIES"]`` declares how many proxies of yours sit in
front: then the address that many entries from the right of ``X-Forwarded-For``, the one your
outermost proxy saw. A client can prepend whatever it likes to that header, never append, so
counting from the right cannot be spoofed; without ``NUM_PROXIES`` the header is ignored.
An address with a port, as some proxies write it (``203.0.113.7:52100``,
``[2001:db8::1]:443``), is the address; what still does not parse is no address.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from rest_framework.settings import api_settings

from .settings import wxlogin_settings

UNPARSED = "unparsed"  # the one network of every client whose address does not parse


def _parse(value: str) -> str | None:
    """The IP address in ``value``: bare, ``host:port`` or ``[v6]:port``; None if none."""
    candidates = [value]
    if value.startswith("["):
        candidates = [value[1:].split("]", 1)[0]]
    elif value.count(":") == 1:
        candidates.append(value.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_ip(request: Any) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = api_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            remote = hops[-min(proxies, len(hops))]
    return _parse(remote) if remote else None


def client_network(request: Any) -> str:
    """What throttling counts a client by: its IPv4 address, or its IPv6 network of
    ``THROTTLE_IPV6_PREFIX`` bits (a subscriber gets a whole /64: one bucket per address would
    give it 2**64 of them). ``UNPARSED`` when the address does not parse: all such clients
    share one bucket, so a proxy that forwards something odd cannot switch the limits off."""
    found = client_ip(request)
    return UNPARSED if found is None else network_of(found)


def network_of(found: str) -> str:
    """The throttling bucket of one valid address (see ``client_network``)."""
    address = ipaddress.ip_address(found)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        prefix = wxlogin_settings.THROTTLE_IPV6_PREFIX
        return str(ipaddress.IPv6Network((address, prefix), strict=False))
    return found
