"""Every kind of app at once (the fixture of the web tests)."""

from ..web.conftest import surfaces

__all__ = ["surfaces"]
