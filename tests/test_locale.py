"""The zh_Hans catalogue is complete and its compiled .mo matches the .po."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

import django_wxlogin

LOCALE = Path(django_wxlogin.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries(text: str) -> dict[str, str]:
    """msgid -> msgstr (msgstr[0] for plurals), multi-line strings joined."""
    entries = {}
    for block in text.split("\n\n"):
        parts = re.split(r"^(msgid|msgid_plural|msgstr|msgstr\[0\]) ", block, flags=re.M)
        fields = {parts[i]: "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', parts[i + 1]))
                  for i in range(1, len(parts) - 1, 2)}
        if fields.get("msgid"):
            entries[fields["msgid"]] = fields.get("msgstr", fields.get("msgstr[0]", ""))
    return entries


def test_every_message_has_a_chinese_translation():
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = _entries(text)
    assert len(entries) > 50
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    assert "#, fuzzy" not in text


def test_the_po_file_lists_every_message_in_the_code(tmp_path):
    """makemessages over the package finds nothing the committed catalogue lacks."""
    package = Path(django_wxlogin.__file__).parent
    copy = tmp_path / "django_wxlogin"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(copy)
        call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    fresh = (copy / "locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    committed = (LOCALE / "django.po").read_text(encoding="utf-8")
    ids = re.compile(r'\nmsgid "(.+)"')
    assert set(ids.findall(fresh)) <= set(ids.findall(committed))


def test_the_compiled_catalogue_is_current(tmp_path):
    subprocess.run(["msgfmt", "-o", str(tmp_path / "django.mo"), str(LOCALE / "django.po")],
                   check=True)
    assert (tmp_path / "django.mo").read_bytes() == (LOCALE / "django.mo").read_bytes()
