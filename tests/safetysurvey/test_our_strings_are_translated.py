"""Every string our code and templates mark for translation has a Russian and a Kazakh
translation, and the committed .mo files are the compiled .po files (issue 11, item 9).

The strings are found as `manage.py makemessages` finds them, run on a copy of the sources so
that the real catalogs are not touched. A string may be translated by our catalog or by a
library's (Django's "Log in"); a Kazakh one must not be left to the Russian fallback."""

import gettext
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.catalogs import catalog_key, untranslated
from tests.conftest import REQUIRE_SERVICES
from tests.pofiles import read_po

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
SOURCES = ["checklist", "surveys", "reports", "safetysurvey", "templates"]
CATALOG_FILES = [LOCALE / language / "LC_MESSAGES" / f"{domain}.po" for language in ("ru", "kk")
                 for domain in ("django", "djangojs")]


def needs(program: str):
    if shutil.which(program) is None:
        message = f"needs GNU gettext's {program} (apt-get install gettext; `make system-deps`)"
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but this test {message}", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def marked_strings(tmp_path_factory) -> dict:
    """{msgid: catalog key} of every string makemessages extracts from our sources."""
    needs("xgettext")
    copy = tmp_path_factory.mktemp("sources")
    for name in SOURCES:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    (copy / "locale").mkdir()
    cwd = os.getcwd()
    # makemessages walks the current folder and writes into LOCALE_PATHS: the copy's, not ours.
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        try:
            os.chdir(copy)
            call_command("makemessages", locale=["en"], verbosity=0, no_obsolete=True)
        finally:
            os.chdir(cwd)
    entries = read_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")
    return {entry.msgid: catalog_key(entry.msgid, entry.msgctxt, bool(entry.msgid_plural)) for entry in entries}


def test_the_extraction_finds_strings_of_code_templates_and_plurals(marked_strings):
    assert "Log in" in marked_strings  # templates/registration/login.html
    assert "part of" in marked_strings  # checklist/models.py
    assert "%(counter)s sheet" in marked_strings  # a {% blocktranslate count %}
    assert len(marked_strings) > 600


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_string_we_mark_has_a_translation(marked_strings, language):
    assert untranslated(marked_strings, language) == []


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_our_catalogs_hold_no_fuzzy_empty_or_repeated_entry(path):
    entries = read_po(path)
    assert [entry.msgid for entry in entries if "fuzzy" in entry.flags] == []
    assert [entry.msgid for entry in entries if not entry.translated] == []
    keys = [entry.key for entry in entries]
    assert sorted({key for key in keys if keys.count(key) > 1}) == []


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_the_committed_mo_file_is_the_compiled_po_file(path, tmp_path):
    needs("msgfmt")
    compiled = tmp_path / "fresh.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(path)], check=True, capture_output=True)
    with open(path.with_suffix(".mo"), "rb") as committed, open(compiled, "rb") as fresh:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(fresh)._catalog, (
            f"compile it: msgfmt --check -o {path.with_suffix('.mo').relative_to(ROOT)} {path.relative_to(ROOT)}"
        )
