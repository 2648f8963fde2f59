"""Login throttling per client IP, counted in Redis; WeChat is not called once throttled."""

import pytest

from .conftest import fresh_code

pytestmark = pytest.mark.django_db(transaction=True)


def _post(api, ip, **extra):
    return api.post("/wx/login/", {"code": fresh_code("vic")}, format="json", REMOTE_ADDR=ip,
                    **extra)


def test_login_is_throttled_per_ip(api, settings, fake_wechat):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "3/min"}
    assert [_post(api, "10.0.0.1").status_code for _ in range(3)] == [200] * 3
    calls = len(fake_wechat.calls("/sns/jscode2session"))
    response = _post(api, "10.0.0.1")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    assert len(fake_wechat.calls("/sns/jscode2session")) == calls
    assert _post(api, "10.0.0.2").status_code == 200


def test_x_forwarded_for_is_ignored_unless_proxies_are_declared(api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "1/min"}
    assert _post(api, "10.0.0.3", HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 200
    spoofed = _post(api, "10.0.0.3", HTTP_X_FORWARDED_FOR="2.2.2.2")
    assert spoofed.status_code == 429


def test_behind_one_declared_proxy_the_forwarded_client_counts(api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert _post(api, "10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 200
    assert _post(api, "10.9.9.9", HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 200
    # A client prepending its own address cannot escape: the proxy's rightmost entry counts.
    assert _post(api, "10.9.9.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.1.1.1").status_code == 429


def test_a_rate_of_none_turns_it_off(api, settings):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": None}
    assert all(_post(api, "10.0.0.4").status_code == 200 for _ in range(5))


def test_throttling_lets_logins_through_while_redis_is_down(api, settings, private_redis):
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": "1/min"}
    private_redis.kill()
    assert _post(api, "10.0.0.5").status_code == 200
    assert _post(api, "10.0.0.5").status_code == 200
