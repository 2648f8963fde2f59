from django.test import RequestFactory

from django_wxlogin.client_ip import UNPARSED, client_ip, client_network


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


def _network(settings, remote, prefix=None):
    if prefix is not None:
        settings.WXLOGIN = {**settings.WXLOGIN, "THROTTLE_IPV6_PREFIX": prefix}
    return client_network(RequestFactory().get("/", REMOTE_ADDR=remote))


def test_ipv6_clients_are_counted_per_network(settings):
    assert _network(settings, "2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert _network(settings, "2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert _network(settings, "2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert _network(settings, "2001:db8:1:2:aaaa::1", prefix=48) == "2001:db8:1::/48"
    assert _network(settings, "2001:db8:1:2:aaaa::1", prefix=128) == "2001:db8:1:2:aaaa::1/128"


def test_ipv4_clients_are_counted_per_address(settings):
    assert _network(settings, "10.1.2.3") == "10.1.2.3"
    assert _network(settings, "::ffff:10.1.2.3") == "10.1.2.3"  # IPv4 seen through IPv6
    assert _network(settings, "garbage") == UNPARSED  # one bucket for all that do not parse


def test_a_port_after_the_address_is_dropped(settings):
    assert _ip(settings, 1, "10.0.0.1", "203.0.113.7:52100") == "203.0.113.7"
    assert _ip(settings, 1, "10.0.0.1", "[2001:db8::1]:443") == "2001:db8::1"
    assert _ip(settings, None, "[2001:db8::2]") == "2001:db8::2"
    assert _ip(settings, 1, "10.0.0.1", "203.0.113.7:port:x") is None
