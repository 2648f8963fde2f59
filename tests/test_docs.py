"""The documentation keeps up with the code: every setting, system check, endpoint and error
code the package has is documented in both languages, each page exists in both, translations
run the same commands, and the API reference declares the error statuses the schema does.

(``mkdocs build --strict`` checks links and anchors; CI runs it.)"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import exceptions

import django_wxlogin
from django_wxlogin import checks, urls
from django_wxlogin.settings import DEFAULTS

from .docs_blocks import DOCS, LANGUAGES, ROOT, TRANSLATIONS, code_blocks, without_comments

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_PLACEHOLDER = re.compile(r"<[^>]+>|\{[^}]+\}")
_ENDPOINTS = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) ([^`]+)`")


def page(language: str, name: str) -> str:
    return (DOCS / language / name).read_text()


def table_keys(text: str) -> set[str]:
    """The `code` items that open a table row."""
    return set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.M))


def _package_modules() -> list:
    names = [m.name for m in pkgutil.walk_packages(django_wxlogin.__path__, "django_wxlogin.")
             if ".migrations." not in m.name]
    return [importlib.import_module(name) for name in names]


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def error_codes() -> set[str]:
    """Every top-level ``code`` an error body of the package can carry: its exceptions' and
    DRF's default codes (what its handler gives your views too), codes its modules raise
    explicitly; DRF's field validation ("invalid") answers ``invalid_request``."""
    modules = _package_modules()
    classes = {c for c in _subclasses(exceptions.APIException) | {exceptions.APIException}
               if c.__module__.startswith(("django_wxlogin", "rest_framework.exceptions"))}
    codes = {c.default_code for c in classes} - {"invalid"} | {"invalid_request"}
    raised = re.compile(r'raise (?![\w.]*ValidationError)[\w.]+\((?:[^()]|\([^()]*\))*?'
                        r'code="(\w+)"')
    for module in modules:
        codes |= set(raised.findall(Path(module.__file__).read_text()))
    return codes


def check_ids() -> set[str]:
    """Every system check id: in ``checks.py`` and in each feature package's ``checks.py``."""
    sources = Path(checks.__file__).parent.rglob("checks.py")
    return {found for source in sources
            for found in re.findall(r'id="(wxlogin\.[EW]\d{3})"', source.read_text())}


def endpoints() -> set[tuple[str, str]]:
    """(METHOD, route) of every endpoint in the URLconf, placeholders as ``<>``."""
    found = set()
    for pattern in urls.urlpatterns:
        view = pattern.callback.view_class
        route = _PLACEHOLDER.sub("<>", str(pattern.pattern))
        found |= {(m.upper(), route) for m in HTTP_METHODS if hasattr(view, m)}
    return found


def api_sections(language: str) -> dict[tuple[str, str], str]:
    """Each endpoint heading of the API reference: its text, per (METHOD, route)."""
    sections = re.split(r"^(?=#{2,3} )", page(language, "api.md"), flags=re.M)
    found = {}
    for section in sections:
        heading = section.splitlines()[0] if section.startswith("#") else ""
        for method, route in _ENDPOINTS.findall(heading):
            found[(method, _PLACEHOLDER.sub("<>", route))] = section
    return found


def test_the_lists_come_from_the_code():
    assert {"PHONE_RATE", "CACHE_RETRY_AFTER", "APPID"} <= set(DEFAULTS)
    assert {"wxlogin.E000", "wxlogin.E020", "wxlogin.W009"} <= check_ids()
    assert {("POST", "login/<>/"), ("DELETE", "sessions/<>/"), ("PATCH", "profile/")} <= endpoints()
    assert {"decrypt_failed", "duplicate_code", "no_wechat_identity", "unknown_app",
            "user_inactive", "not_authenticated", "throttled"} <= error_codes()


def test_both_languages_have_every_page_in_the_navigation():
    english = {p.name for p in (DOCS / "en").glob("*.md")}
    assert english == {p.name for p in (DOCS / "zh").glob("*.md")}
    nav = set(re.findall(r":\s+([\w-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), flags=re.M))
    assert nav == english


@pytest.mark.parametrize(("english", "chinese"), TRANSLATIONS, ids=lambda p: p.name)
def test_translations_run_the_same_code(english: Path, chinese: Path):
    assert len(code_blocks(english)) == len(code_blocks(chinese))
    for language in ("sh", "python"):
        assert ([without_comments(b) for b in code_blocks(english, language)]
                == [without_comments(b) for b in code_blocks(chinese, language)]), language


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_setting_is_documented(language):
    assert set(DEFAULTS) <= table_keys(page(language, "settings.md"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_system_check_is_documented(language):
    documented = {k for k in table_keys(page(language, "settings.md")) if k.startswith("wxlogin.")}
    assert documented == check_ids()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_endpoint_is_documented(language):
    assert set(api_sections(language)) == endpoints()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_error_code_is_documented(language):
    text = page(language, "api.md")
    every_code = text[text.index("{#every-error-code}" if language == "zh" else
                                 "## Every error code"):]
    assert table_keys(every_code.split("\n## ")[0]) == error_codes()


@pytest.fixture(scope="module")
def schema_statuses() -> dict[tuple[str, str], set[int]]:
    """The error statuses the OpenAPI schema declares, per (METHOD, route)."""
    schema = SchemaGenerator(urlconf="tests.schema_urls").get_schema(request=None, public=True)
    found = {}
    for path, operations in schema["paths"].items():
        route = _PLACEHOLDER.sub("<>", path.removeprefix("/wx/"))
        for method, operation in operations.items():
            found[(method.upper(), route)] = {int(s) for s in operation["responses"]
                                              if int(s) >= 400}
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_api_reference_declares_the_schemas_error_statuses(language, schema_statuses):
    assert set(schema_statuses) == endpoints()
    sections: dict[str, set[tuple[str, str]]] = {}
    for endpoint, section in api_sections(language).items():
        sections.setdefault(section, set()).add(endpoint)
    for section, covered in sections.items():
        cells = re.findall(r"^\| ([\d, ]+) \|", section, flags=re.M)
        documented = {int(s) for cell in cells for s in cell.split(",") if int(s) >= 400}
        declared = set().union(*(schema_statuses[e] for e in covered))
        assert documented == declared, (sorted(covered), documented ^ declared)


@pytest.mark.parametrize("readme", ["README.md", "README.zh-CN.md"])
def test_readme_is_a_short_front_page_with_absolute_links(readme):
    text = (ROOT / readme).read_text()
    assert len(text.splitlines()) < 200
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert links and all(link.startswith("https://") for link in links), links
    other = "README.zh-CN.md" if readme == "README.md" else "README.md"
    assert f"/blob/main/{other})" in text.split("\n\n")[1]  # linked from the top
