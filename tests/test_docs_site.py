"""The built documentation site loads nothing from another host: most readers are in mainland
China, where unpkg.com (mermaid), Google Fonts and api.github.com are slow or blocked, and
without mermaid the login diagram is raw text."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from .docs_blocks import ROOT
from .test_admin_browser import CHROMIUM, CHROMIUM_ARGS

# What a page fetches as it loads: scripts, stylesheets, icons, fonts, frames, images.
_FETCHED = re.compile(
    r"""<(?:script|img|iframe|source)\b[^>]*\ssrc=["']([^"']+)"""
    r"""|<link\b[^>]*\shref=["']([^"']+)"""
    r"""|@import\s+(?:url\()?["']?([^"')\s;]+)"""
    r"""|url\(\s*["']?([^"')]+)""", flags=re.I)
_OUTSIDE = re.compile(r"^(?:https?:)?//", flags=re.I)
# Hosts the theme would load from if allowed to, named anywhere in a page or stylesheet.
_KNOWN = ("fonts.googleapis.com", "fonts.gstatic.com", "unpkg.com", "cdn.jsdelivr.net")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("site")
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                            str(directory)], cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
    assert build.returncode == 0, build.stderr
    return directory


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_pages_and_stylesheets_fetch_nothing_from_another_host(site: Path):
    files = [*site.rglob("*.html"), *site.rglob("*.css")]
    assert len(files) > 20
    outside = {}
    for file in files:
        text = file.read_text(errors="replace")
        # A <link rel="canonical"> or "alternate" names a page, it fetches nothing.
        text = re.sub(r"<link\b[^>]*\srel=[\"'](?:canonical|alternate)[\"'][^>]*>", "", text)
        found = [url for groups in _FETCHED.findall(text) for url in groups
                 if url and _OUTSIDE.match(url)]
        found += [host for host in _KNOWN if host in text]
        if found:
            outside[str(file.relative_to(site))] = found
    assert not outside, outside


@pytest.mark.parametrize("page", ["how-it-works/", "en/how-it-works/", "", "en/going-live/"])
def test_a_browser_renders_the_pages_from_the_site_alone(served: str, page: str, tmp_path):
    """Chromium loads the page with every request to another host refused and recorded: none
    is made, and the login diagram is drawn (an SVG, not raw text)."""
    elsewhere: list[str] = []

    def only_the_site(route):
        if urlsplit(route.request.url).netloc == urlsplit(served).netloc:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            browser_page = context.pages[0] if context.pages else context.new_page()
            browser_page.route("**/*", only_the_site)
            browser_page.goto(f"{served}/{page}", wait_until="networkidle")
            if page.endswith("how-it-works/"):
                # Material draws the diagram into a closed shadow root of a <div class=mermaid>
                # in place of the <pre class=mermaid> holding its source.
                diagram = browser_page.wait_for_selector("div.mermaid", timeout=20_000)
                assert diagram.bounding_box()["height"] > 100
                assert "sequenceDiagram" not in browser_page.inner_text("article")
        finally:
            context.close()
    assert not elsewhere, elsewhere
