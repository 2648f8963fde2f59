"""Scan to log in over HTTP: the website's side (anonymous, bound by the poll cookie) and the
mini program's side (the person's Bearer token)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

from django.contrib.auth import get_user_model
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from ..authentication import WxTokenAuthentication
from ..databases import primary
from ..exceptions import AccountDisabled
from ..parsers import JSONParser
from ..schema import errors, extend_schema, free_form
from ..settings import MINIPROGRAM, wxlogin_settings
from ..throttling import WxRateThrottle
from ..views import WxLoginAPIView, session_of
from . import events, tickets

FORWARDED_SCENES = frozenset({1048, 1049})  # long-press on a picture, picked from the album
SURFACE = "scan"


class ScanRateThrottle(WxRateThrottle):
    """New tickets per client network: each costs a WeChat call and a Redis hash."""

    scope = "scan"
    rate_setting = "SCAN_RATE"


class NewTicketSerializer(serializers.Serializer):
    app = serializers.CharField(required=False, max_length=64,
                                help_text="Which mini program's code, with several.")


class LaunchSceneSerializer(serializers.Serializer):
    launch_scene = serializers.IntegerField(
        min_value=0, max_value=99999,
        help_text="wx.getEnterOptionsSync().scene: how the mini program was opened.")


class WebScanView(WxLoginAPIView):
    """The browser's side: anonymous; the poll cookie is its only credential."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def poll_credential(self, request: Request) -> tuple[str, str]:
        found = tickets.split_cookie(request.COOKIES.get(wxlogin_settings.SCAN_COOKIE_NAME))
        if found is None:
            raise NotAuthenticated(_("This browser holds no login code; ask for one."))
        return found


class TicketView(WebScanView):
    throttle_classes = [ScanRateThrottle]
    parser_classes = [JSONParser]  # what the widget sends (a form's empty field means "absent")

    @extend_schema(request=NewTicketSerializer, responses={
        201: free_form("The code as a data: URL (`code`), `expires_in`, `poll_interval`, "
                       "the `status_url`, `claim_url` and, under ASGI, `events_url`; the "
                       "poll cookie is set HttpOnly."),
        **errors(400, 405, 429, 500, 502, 503)})
    def post(self, request: Request) -> Response:
        serializer = NewTicketSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        app = wxlogin_settings.app(serializer.validated_data.get("app"))
        ticket = tickets.issue(request, app)
        body = {
            "code": "data:image/png;base64," + base64.b64encode(ticket.image).decode(),
            "expires_in": ticket.expires_in,
            "poll_interval": int(wxlogin_settings.SCAN_POLL_INTERVAL),
            "status_url": reverse("wxlogin:scan-status"),
            "claim_url": reverse("wxlogin:scan-claim"),
        }
        if events.is_asgi(request):
            body["events_url"] = reverse("wxlogin:scan-events")
        response = Response(body, status=201)
        response.set_cookie(wxlogin_settings.SCAN_COOKIE_NAME, ticket.cookie,
                            max_age=ticket.expires_in, httponly=True, samesite="Strict",
                            secure=request.is_secure())
        return response


class StatusView(WebScanView):
    @extend_schema(responses={200: free_form("`state` and `expires_in` (seconds)."),
                              **errors(403, 405, 503)})
    def get(self, request: Request) -> Response:
        state, left = tickets.read_state(*self.poll_credential(request))
        return Response({"state": state, "expires_in": int(left)})


class EventStreamRenderer(BaseRenderer):
    """Lets ``Accept: text/event-stream`` (what EventSource sends) through content negotiation;
    the events are streamed by ``events.stream``, errors still written as JSON."""

    media_type = "text/event-stream"
    format = "event-stream"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode()


class EventsView(WebScanView):
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(responses={200: free_form("text/event-stream: `state` events, as the "
                                             "status endpoint answers, until a final one."),
                              **errors(403, 404, 405)})
    def get(self, request: Request) -> StreamingHttpResponse:
        ref, poll = self.poll_credential(request)
        response = StreamingHttpResponse(events.stream(ref, poll),
                                         content_type="text/event-stream")
        response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        return response


class ClaimView(WebScanView):
    @extend_schema(request=None, responses={
        200: free_form("Cookie delivery: the session cookie is set; exchange_code delivery: "
                       "`exchange_code` for POST web/exchange/."),
        **errors(403, 404, 405, 409, 410, 503)})
    def post(self, request: Request) -> Response:
        ref, poll = self.poll_credential(request)
        user_pk, appid = tickets.claim(ref, poll)
        model = get_user_model()
        user = model._default_manager.db_manager(primary(model)).filter(pk=user_pk).first()
        if user is None or not user.is_active:
            raise AccountDisabled()
        from ..web import delivery  # the web sessions' package

        response = Response({"state": "delivered"})
        if wxlogin_settings.SCAN_DELIVERY == "exchange_code":
            response.data["exchange_code"] = delivery.issue_exchange_code(
                user, appid=appid, surface=SURFACE, request=request)
        else:
            delivery.log_in_browser(request, response, user, appid=appid, surface=SURFACE)
        response.delete_cookie(wxlogin_settings.SCAN_COOKIE_NAME, samesite="Strict")
        return response


class MiniProgramScanView(WxLoginAPIView):
    """The mini program's side: the person's token of a mini-program session (never a browser's
    cookie, nor a session a scan or a web login gave), the scene from the code."""

    authentication_classes = [WxTokenAuthentication]

    def ticket_args(self, request: Request) -> tuple[str, str]:
        if not request.user.is_active:
            raise AccountDisabled()
        session = session_of(request)
        if session.surface != MINIPROGRAM:
            raise tickets.WrongApp()
        return str(request.user.pk), session.appid or wxlogin_settings.app().appid

    def check_launch_scene(self, data: Any) -> None:
        serializer = LaunchSceneSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["launch_scene"] in FORWARDED_SCENES \
                and not wxlogin_settings.SCAN_ALLOW_FORWARDED:
            raise tickets.ForwardedCode()


class DescribeView(MiniProgramScanView):
    @extend_schema(parameters=[LaunchSceneSerializer], responses={
        200: free_form("What the confirm page must show: `site`, `ip_address`, `user_agent`, "
                       "`requested_at`, `expires_in`."),
        **errors(400, 401, 403, 404, 405, 409, 410, 503)})
    def get(self, request: Request, scene: str) -> Response:
        self.check_launch_scene(request.query_params)
        shown = tickets.scan(scene, *self.ticket_args(request))
        return Response({
            "state": "scanned", "site": shown.site, "ip_address": shown.ip_address,
            "user_agent": shown.user_agent,
            "requested_at": datetime.fromtimestamp(shown.requested_at, timezone.utc).isoformat(),
            "expires_in": shown.expires_in,
        })


class ConfirmView(MiniProgramScanView):
    @extend_schema(request=LaunchSceneSerializer, responses={
        200: free_form("`state`: confirmed."), **errors(400, 401, 403, 404, 405, 409, 410, 503)})
    def post(self, request: Request, scene: str) -> Response:
        self.check_launch_scene(request.data)
        tickets.confirm(scene, *self.ticket_args(request))
        return Response({"state": "confirmed"})


class CancelView(MiniProgramScanView):
    @extend_schema(request=None, responses={
        200: free_form("`state`: cancelled."), **errors(401, 403, 404, 405, 409, 410, 503)})
    def post(self, request: Request, scene: str) -> Response:
        tickets.cancel(scene, *self.ticket_args(request))
        return Response({"state": "cancelled"})
