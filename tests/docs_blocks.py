"""The documentation's pages and code blocks, as the tests that run and check them read them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LANGUAGES = ("en", "zh")
# Each English page with its Chinese counterpart, and README with README.zh-CN.
TRANSLATIONS = [(ROOT / "README.md", ROOT / "README.zh-CN.md")] + [
    (page, DOCS / "zh" / page.name) for page in sorted((DOCS / "en").glob("*.md"))]

_BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", flags=re.S | re.M)
_COMMENT_LINE = re.compile(r"^\s*(#|//|<!--).*$", flags=re.M)
_TRAILING_COMMENT = re.compile(r"\s+(#|//) .*$", flags=re.M)
_SETTINGS = re.compile(r"\b(WXLOGIN_[A-Z_]+)=(\S+)")


def code_blocks(page: Path, language: str | None = None) -> list[str]:
    """The fenced blocks of a page (indented ones included, unindented), of one language."""
    found = []
    for indent, lang, body in _BLOCK.findall(page.read_text()):
        if language is None or lang == language:
            found.append("".join(line[len(indent):] + "\n" for line in body.splitlines()))
    return found


def without_comments(block: str) -> str:
    """A block's code alone: translations differ in their comments only."""
    code = _TRAILING_COMMENT.sub("", _COMMENT_LINE.sub("", block))
    return "\n".join(line.rstrip() for line in code.splitlines() if line.strip())


def runnable(block: str) -> bool:
    """A shell block a reader runs against the example project (installs are not)."""
    return ("curl " in block or "manage.py wxlogin_" in block) and "pip install" not in block


def block_settings(block: str) -> tuple[tuple[str, str], ...]:
    """The example project's settings a block asks for in its first line, a comment such as
    ``# With WXLOGIN_REQUIRE_ACCOUNT=true set``; () for the defaults."""
    first = block.splitlines()[0]
    if not first.startswith("#"):
        return ()
    return tuple(sorted((name, value.rstrip(":,.)")) for name, value in _SETTINGS.findall(first)))
