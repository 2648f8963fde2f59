from django.test import RequestFactory

from django_wxlogin.client_ip import client_ip


def _ip(settings, proxies, remote, forwarded=None):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


def test_without_declared_proxies_the_header_is_ignored(settings):
    assert _ip(settings, None, "10.0.0.1", "1.2.3.4") == "10.0.0.1"
    assert _ip(settings, 0, "10.0.0.1", "1.2.3.4") == "10.0.0.1"


def test_declared_proxies_count_from_the_right(settings):
    assert _ip(settings, 1, "10.0.0.1", "6.6.6.6, 1.2.3.4") == "1.2.3.4"
    assert _ip(settings, 2, "10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.9") == "1.2.3.4"
    assert _ip(settings, 3, "10.0.0.1", "1.2.3.4") == "1.2.3.4"


def test_garbage_is_no_address(settings):
    assert _ip(settings, 1, "10.0.0.1", "not-an-ip") is None
    assert _ip(settings, None, "") is None
    assert _ip(settings, None, "::1") == "::1"
