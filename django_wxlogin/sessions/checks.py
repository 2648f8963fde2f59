"""System checks of the session cache's deployment: ``wxlogin.W026``.

The in-process layer (:mod:`.local`) trusts an entry only while Redis's ``CLIENT TRACKING``
broadcasts reach it. A managed Redis behind a proxy (the "proxy mode" of cloud providers'
cluster offerings) may accept ``CLIENT TRACKING`` and yet forward the invalidations of one shard
only, or none: a revocation could then go unseen by a worker for as long as it keeps the entry.
Nothing at start-up can ask a proxy that; its address often tells who runs it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

from ..settings import wxlogin_settings

# Host name endings of managed Redis services whose endpoints can be proxies in front of
# several shards.
PROXY_HOSTS = (
    ".aliyuncs.com",  # Alibaba Cloud Redis / Tair (proxy mode of cluster instances)
    ".tencentcloudapi.com",  # Tencent Cloud Redis
    ".myhuaweicloud.com",  # Huawei Cloud DCS
    ".redis.cache.windows.net",  # Azure Cache for Redis
    ".serverless.cache.amazonaws.com",  # Amazon ElastiCache Serverless
    ".upstash.io",  # Upstash
)


def _hosts(location: Any) -> list[str]:
    """The host names in a cache's ``LOCATION`` (one URL or a list)."""
    locations = location if isinstance(location, list | tuple) else [location]
    netlocs = [str(url).split("://", 1)[-1].split("/", 1)[0] for url in locations if url]
    return [netloc.rsplit("@", 1)[-1].split(":", 1)[0].lower() for netloc in netlocs]


@register(Tags.caches, Tags.security)
def check_local_cache_behind_a_proxy(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    if not wxlogin_settings.LOCAL_CACHE:
        return []
    cache = getattr(settings, "CACHES", {}).get(wxlogin_settings.CACHE_ALIAS, {})
    proxied = [host for host in _hosts(cache.get("LOCATION"))
               if host.endswith(PROXY_HOSTS)]
    if not proxied:
        return []
    return [Warning(
        f"WXLOGIN['LOCAL_CACHE'] is on and the session cache is a managed Redis ({proxied[0]}) "
        "that may sit behind a proxy: a proxy that does not forward CLIENT TRACKING "
        "invalidations from every shard would let workers accept revoked tokens.",
        hint="Set WXLOGIN['LOCAL_CACHE'] = False (every request reads Redis), unless the "
             "endpoint is a single Redis server or a direct (non-proxy) connection, or the "
             "provider documents that its proxy forwards BCAST invalidations from every shard; "
             "then silence this check.", id="wxlogin.W026")]
