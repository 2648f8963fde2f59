"""wxlogin.W026: the in-process layer on, in front of a managed Redis that may be a proxy."""

from __future__ import annotations

from django_wxlogin.sessions.checks import check_local_cache_behind_a_proxy


def _ids(settings, location, **wxlogin):
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",
                                   "LOCATION": location}}
    settings.WXLOGIN = {"APPID": "wx1", "SECRET": "s", **wxlogin}
    return [message.id for message in check_local_cache_behind_a_proxy()]


def test_a_cloud_proxy_endpoint_with_the_layer_on_is_a_warning(settings):
    assert _ids(settings, "redis://r-bp1x.redis.rds.aliyuncs.com:6379/0") == ["wxlogin.W026"]
    assert _ids(settings, ["rediss://cache.example.com:6380",
                           "rediss://app.redis.cache.windows.net:6380"]) == ["wxlogin.W026"]


def test_the_safe_setting_or_a_plain_server_is_quiet(settings):
    assert _ids(settings, "redis://r-bp1x.redis.rds.aliyuncs.com:6379/0",
                LOCAL_CACHE=False) == []
    assert _ids(settings, "redis://10.0.0.5:6379/0") == []
    assert _ids(settings, "redis://redis.internal:6379/0") == []
