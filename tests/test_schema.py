"""The OpenAPI schema: valid, complete, and true to what the endpoints really answer."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import requests
import schemathesis
import yaml
from django.core.management import call_command
from django.urls import get_resolver
from PIL import Image

from django_wxlogin.moderation import media
from django_wxlogin.moderation.models import ContentReview
from django_wxlogin.wechat import push_protocol

from .conftest import OFFICIAL_ACCOUNT, fresh_code
from .scan.conftest import decode_code, image_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def openapi(tmp_path: Path) -> dict:
    """The schema as ``manage.py spectacular`` writes it, failing on any warning."""
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--urlconf",
                 "tests.schema_urls", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_every_endpoint_is_documented(openapi):
    resolver = get_resolver("tests.schema_urls")
    routes = {str(p.pattern) for p in resolver.url_patterns[0].url_patterns}
    assert len(openapi["paths"]) == len(routes)
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            errors = {s for s in statuses if s.startswith(("4", "5"))}
            assert errors, (method, path)
            for status in errors:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}
            # Signed instead: WeChat's pushes, and the URL a checker fetches a held avatar from.
            public = path.startswith(("/wx/login/", "/wx/push/", "/wx/moderation/media/",
                                      "/wx/web/scan/")) \
                or path == "/wx/web/exchange/" or path.endswith(("/login/", "/callback/"))
            token_or_ticket = path == "/wx/bind/"  # a bind ticket needs no token
            expected = ([{}] if public else [{"WxToken": []}, {}] if token_or_ticket
                        else [{"WxCookie": []}] if path.startswith("/wx/web/logout/")
                        else [{"WxToken": []}])
            assert operation["security"] == expected, (method, path)
            if not public:
                assert "401" in statuses
    assert openapi["components"]["securitySchemes"]["WxToken"]["scheme"] == "bearer"
    assert set(openapi["components"]["schemas"]["Error"]["required"]) == {"code", "detail"}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def test_real_responses_match_the_schema(openapi, live_server, settings, django_user_model):
    """A tour of every endpoint, good and bad requests, each answer validated."""
    schema = schemathesis.openapi.from_dict(openapi)
    url = live_server.url
    checked: list[tuple[str, str, int]] = []

    def call(method: str, template: str, status: int, path: str | None = None, **kwargs):
        response = requests.request(method, url + (path or template), timeout=10, **kwargs)
        assert response.status_code == status, (method, path or template, response.text)
        schema[template][method].validate_response(response)
        checked.append((method, template, status))
        return response

    code = fresh_code("zara")
    login = call("POST", "/wx/login/", 200, json={"code": code}).json()
    auth = {"Authorization": f"Bearer {login['token']}"}
    call("POST", "/wx/login/", 409, json={"code": code})
    call("POST", "/wx/login/", 400, json={"code": ""})
    call("POST", "/wx/login/", 400, json={"code": "err.40029"})
    call("POST", "/wx/login/", 503, json={"code": "err.-1"})
    call("POST", "/wx/login/{app}/", 404, path="/wx/login/nope/", json={"code": fresh_code()})
    call("GET", "/wx/profile/", 200, headers=auth)
    call("GET", "/wx/profile/", 401)
    call("PATCH", "/wx/profile/", 200, headers=auth, json={"nickname": "Zara"})
    call("PATCH", "/wx/profile/", 400, headers=auth, json={"nickname": 5})
    call("POST", "/wx/profile/", 200, headers=auth, files={"avatar": ("a.png", _png())})
    sessions = call("GET", "/wx/sessions/", 200, headers=auth).json()
    call("DELETE", "/wx/sessions/{id}/", 404, path="/wx/sessions/999999/", headers=auth)
    call("POST", "/wx/decrypt/", 400, headers=auth, json={"encrypted_data": "AAAA", "iv": "AAAA"})
    phone_code = f"phone.1{time.time_ns() % 10**10:010d}"  # the fake takes each code once
    call("POST", "/wx/phone/", 200, headers=auth, json={"code": phone_code})
    call("POST", "/wx/phone/", 400, headers=auth, json={"code": "err.40029"})
    call("POST", "/wx/logout/all/", 401)
    call("DELETE", "/wx/sessions/{id}/", 204, path=f"/wx/sessions/{sessions[0]['id']}/",
         headers=auth)
    call("POST", "/wx/logout/", 401, headers=auth)
    second = call("POST", "/wx/login/", 200, json={"code": fresh_code("zara")}).json()
    call("POST", "/wx/logout/", 204, headers={"Authorization": f"Bearer {second['token']}"})
    third = call("POST", "/wx/login/", 200, json={"code": fresh_code("zara")}).json()
    call("POST", "/wx/logout/all/", 204, headers={"Authorization": f"Bearer {third['token']}"})

    # Web sessions: an exchange code, a cookie logged out (a script needs no CSRF token
    # against the live server: requests sends no Origin, and the cookie rides only on
    # same-site requests), and a cookie that is gone.
    from django_wxlogin.web.delivery import issue_exchange_code

    user = django_user_model.objects.get(pk=login["user"]["id"])
    code = issue_exchange_code(user, appid="wxtestapp0000001", surface="website", request=None)
    web = call("POST", "/wx/web/exchange/", 200, json={"code": code}).json()
    call("POST", "/wx/web/exchange/", 400, json={"code": code})
    call("POST", "/wx/web/logout/", 401)
    call("POST", "/wx/web/logout/all/", 401)
    call("POST", "/wx/logout/", 204, headers={"Authorization": f"Bearer {web['token']}"})
    # Scan to log in: a browser's ticket, the phone's scan and confirm, the session once.
    ticket = call("POST", "/wx/web/scan/", 201, json={})
    poll = {"wxlogin_scan": ticket.cookies["wxlogin_scan"]}
    _, scene = decode_code(image_of(ticket.json()))
    phone = call("POST", "/wx/login/", 200, json={"code": fresh_code("zara")}).json()
    token = {"Authorization": f"Bearer {phone['token']}"}
    call("GET", "/wx/web/scan/status/", 200, cookies=poll)
    call("GET", "/wx/web/scan/status/", 403)
    call("GET", "/wx/web/scan/events/", 403)
    call("GET", "/wx/scan/{scene}/", 403, path=f"/wx/scan/{scene}/?launch_scene=1049",
         headers=token)
    call("GET", "/wx/scan/{scene}/", 400, path=f"/wx/scan/{scene}/", headers=token)
    call("GET", "/wx/scan/{scene}/", 200, path=f"/wx/scan/{scene}/?launch_scene=1047",
         headers=token)
    call("GET", "/wx/scan/{scene}/", 404, path="/wx/scan/nope/?launch_scene=1047",
         headers=token)
    call("POST", "/wx/scan/{scene}/confirm/", 401, path=f"/wx/scan/{scene}/confirm/",
         json={"launch_scene": 1047})
    call("POST", "/wx/web/scan/session/", 409, cookies=poll)  # not confirmed yet
    call("POST", "/wx/scan/{scene}/confirm/", 200, path=f"/wx/scan/{scene}/confirm/",
         headers=token, json={"launch_scene": 1047})
    call("POST", "/wx/scan/{scene}/confirm/", 409, path=f"/wx/scan/{scene}/confirm/",
         headers=token, json={"launch_scene": 1047})
    call("POST", "/wx/scan/{scene}/cancel/", 409, path=f"/wx/scan/{scene}/cancel/",
         headers=token)
    call("POST", "/wx/web/scan/session/", 200, cookies=poll)
    call("POST", "/wx/web/scan/session/", 409, cookies=poll)
    call("POST", "/wx/web/scan/session/", 403)
    as_json = {"Accept": "application/json"}
    call("GET", "/wx/web/{app}/login/", 404, path="/wx/web/nope/login/", headers=as_json)
    call("GET", "/wx/web/{app}/callback/", 404, path="/wx/web/nope/callback/", headers=as_json)
    single = settings.WXLOGIN
    settings.WXLOGIN = {**{k: v for k, v in single.items() if k not in ("APPID", "SECRET")},
                        "APPS": [{"APPID": single["APPID"], "SECRET": single["SECRET"]},
                                 OFFICIAL_ACCOUNT]}
    call("GET", "/wx/web/{app}/login/", 302, path="/wx/web/oa/login/", allow_redirects=False)
    call("GET", "/wx/web/{app}/callback/", 400, path="/wx/web/oa/callback/?code=c&state=s",
         headers=as_json)
    settings.WXLOGIN = single

    # Accounts: password login, binding and unbinding, bind tickets.
    django_user_model.objects.create_user("zed", password="zed-password")
    credentials = {"username": "zed", "password": "zed-password"}
    call("POST", "/wx/login/password/", 200, json=credentials)
    call("POST", "/wx/login/password/", 400, json={**credentials, "password": "wrong"})
    wechat = call("POST", "/wx/login/", 200, json={"code": fresh_code("yuri")}).json()
    yuri = {"Authorization": f"Bearer {wechat['token']}"}
    call("POST", "/wx/unbind/", 409, headers=yuri)  # a WeChat-only user's one way in
    call("POST", "/wx/bind/", 401, json=credentials)
    bound = call("POST", "/wx/bind/", 200, headers=yuri, json=credentials).json()
    zed = {"Authorization": f"Bearer {bound['token']}"}
    call("POST", "/wx/bind/", 409, headers=zed, json=credentials)
    call("POST", "/wx/unbind/", 204, headers=zed)
    settings.WXLOGIN = {**settings.WXLOGIN, "REQUIRE_ACCOUNT": True}
    refused = call("POST", "/wx/login/", 403, json={"code": fresh_code("yuri")}).json()
    ticket = refused["bind_ticket"]
    call("POST", "/wx/bind/", 200, json={**credentials, "bind_ticket": ticket})
    call("POST", "/wx/bind/", 400, json={**credentials, "bind_ticket": ticket})
    settings.WXLOGIN = {**settings.WXLOGIN, "PASSWORD_LOGIN": False}
    call("POST", "/wx/login/password/", 404, json=credentials)

    # Closing an account: refused without re-authentication, then pending, then cancelled.
    settings.WXLOGIN = {**settings.WXLOGIN, "REQUIRE_ACCOUNT": False}
    xena = call("POST", "/wx/login/", 200, json={"code": fresh_code("xena")}).json()
    xena_auth = {"Authorization": f"Bearer {xena['token']}"}
    call("POST", "/wx/account/delete/", 401, json={"code": fresh_code("xena")})
    call("POST", "/wx/account/delete/", 400, headers=xena_auth, json={})
    call("POST", "/wx/account/delete/", 403, headers=xena_auth,
         json={"code": fresh_code("yves")})
    call("POST", "/wx/account/delete/", 202, headers=xena_auth,
         json={"code": fresh_code("xena")})
    back = call("POST", "/wx/login/", 200, json={"code": fresh_code("xena")}).json()
    assert back["closure_cancelled"] is True

    # Message push, as WeChat calls it (plaintext mode: the query is signed).
    call("GET", "/wx/push/{app}/", 404, path="/wx/push/nope/")
    settings.WXLOGIN = {**settings.WXLOGIN, "TOKEN": "schematoken"}
    stamp, nonce = str(int(time.time())), str(time.time_ns())
    signed = {"signature": push_protocol.signature("schematoken", stamp, nonce),
              "timestamp": stamp, "nonce": nonce}
    call("GET", "/wx/push/{app}/", 200, path="/wx/push/wxtestapp0000001/",
         params={**signed, "echostr": "42"})
    call("GET", "/wx/push/{app}/", 403, path="/wx/push/wxtestapp0000001/",
         params={**signed, "signature": "0" * 40, "echostr": "42"})
    call("POST", "/wx/push/{app}/", 200, path="/wx/push/wxtestapp0000001/", params=signed,
         json={"MsgType": "event", "Event": "schema_tour", "CreateTime": stamp})
    call("POST", "/wx/push/{app}/", 400, path="/wx/push/wxtestapp0000001/", data=b"{}")
    call("POST", "/wx/push/{app}/", 404, path="/wx/push/nope/", data=b"{}")

    # Content checks: a risky nickname, a held avatar and the URL its checker fetches it from.
    settings.WXLOGIN = {**settings.WXLOGIN, "CONTENT_CHECKS": "wechat", "REQUIRE_ACCOUNT": False}
    zoe = call("POST", "/wx/login/", 200, json={"code": fresh_code("zoe")}).json()
    auth = {"Authorization": f"Bearer {zoe['token']}"}
    call("PATCH", "/wx/profile/", 400, headers=auth, json={"nickname": "risky Zara"})
    held = call("POST", "/wx/profile/", 200, headers=auth, files={"avatar": ("a.png", _png())})
    assert held.json()["pending"] == {"nickname": None, "avatar": True}
    review = ContentReview.objects.get(status="pending")
    call("GET", "/wx/moderation/media/{token}/", 200,
         path=f"/wx/moderation/media/{media.sign(review.pk)}/")
    call("GET", "/wx/moderation/media/{token}/", 404, path="/wx/moderation/media/forged/")
    documented = {(m.upper(), p) for p, ops in openapi["paths"].items() for m in ops}
    assert documented <= {(m, p) for m, p, _ in checked}
