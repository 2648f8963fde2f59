"""Helpers of the scan-login tests: a ticket asked for by a browser, decoded as a phone reads
its code, and mini-program users with tokens."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import zxingcpp
from PIL import Image
from rest_framework.test import APIClient

from ..conftest import bearer, log_in

BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) scan-test"
CAMERA = 1047  # launch scene of a code scanned with WeChat's camera


def decode_code(image: bytes) -> tuple[str, str]:
    """(page, scene) of a mini-program code, read from its pixels as a phone would."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))
    assert len(found) == 1, "no code in the image"
    text = found[0].text
    assert text.startswith("wxacode:"), text
    url = urlsplit(text.removeprefix("wxacode:"))
    page = url.path.split("/", 1)[1]
    return page, unquote(parse_qs(url.query)["scene"][0])


def image_of(body: dict[str, Any]) -> bytes:
    prefix = "data:image/png;base64,"
    assert body["code"].startswith(prefix)
    return base64.b64decode(body["code"].removeprefix(prefix))


@dataclass
class Browser:
    """A browser that asked for a ticket: its client (holding the poll cookie) and the scene
    read from the code it shows."""

    client: APIClient
    body: dict[str, Any]
    scene: str

    def status(self) -> Any:
        return self.client.get("/wx/web/scan/status/")

    def claim(self) -> Any:
        return self.client.post("/wx/web/scan/session/")


def new_browser(ip: str = "203.0.113.7") -> Browser:
    client = APIClient(REMOTE_ADDR=ip, HTTP_USER_AGENT=BROWSER_AGENT)
    response = client.post("/wx/web/scan/", {}, format="json")
    assert response.status_code == 201, response.content
    _, scene = decode_code(image_of(response.json()))
    return Browser(client, response.json(), scene)


@dataclass
class Phone:
    """A mini-program user with a token."""

    client: APIClient
    token: str

    def describe(self, scene: str, launch_scene: int = CAMERA) -> Any:
        return self.client.get(f"/wx/scan/{scene}/", {"launch_scene": launch_scene})

    def confirm(self, scene: str, launch_scene: int = CAMERA) -> Any:
        return self.client.post(f"/wx/scan/{scene}/confirm/", {"launch_scene": launch_scene},
                                format="json")

    def cancel(self, scene: str) -> Any:
        return self.client.post(f"/wx/scan/{scene}/cancel/")


def new_phone(user: str = "alice") -> Phone:
    token, _ = log_in(user)
    return Phone(APIClient(**bearer(token)), token)
