"""The strings of Django, django-axes and Django REST framework that our pages and the API show
are translated into Kazakh, by our catalog (locale/kk) or by theirs, and into Russian (issue 11,
item 9). A Kazakh string missing from both falls back to Russian, the default language: that is
how the Kazakh log-in page came to say "Пожалуйста, введите правильные Қолданушы атауы…".

What counts as shown: every string of Django's auth, admin (pages and scripts) and contenttypes
apps, the form, validator and model-field messages of Django's core, every string django-axes
and DRF translate."""

import ast
import re
from pathlib import Path

import axes
import django
import pytest
import rest_framework
from django.utils.translation import trans_real

from tests.catalogs import catalog_key, untranslated
from tests.pofiles import read_po

DJANGO = Path(django.__file__).parent
# Django's English catalogs are its source catalogs: they list every string of this version.
CATALOGS = {
    "auth": ("contrib/auth", "django"),
    "admin": ("contrib/admin", "django"),
    "admin scripts": ("contrib/admin", "djangojs"),
    "contenttypes": ("contrib/contenttypes", "django"),
    "forms, validators, model fields": ("conf", "django"),
}
# Of Django's core catalog, the strings that reach forms and pages (not, say, language names).
CORE_SOURCES = (
    "core/validators.py", "core/paginator.py", "forms/", "db/models/", "shortcuts.py", "template/defaultfilters.py",
    "utils/dates.py", "utils/dateformat.py", "utils/ipv6.py", "utils/text.py", "utils/timesince.py",
)


def django_strings(name: str) -> dict:
    folder, domain = CATALOGS[name]
    keys = {}
    for entry in read_po(DJANGO / folder / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po"):
        if folder == "conf" and not any(ref.startswith(CORE_SOURCES) for ref in entry.references):
            continue
        keys[entry.msgid] = catalog_key(entry.msgid, entry.msgctxt, bool(entry.msgid_plural))
    return keys


GETTEXT_CALL = re.compile(
    r"""\b(?:_|gettext|gettext_lazy)\(\s*((?:"[^"\\]*(?:\\.[^"\\]*)*"\s*|'[^'\\]*(?:\\.[^'\\]*)*'\s*)+)[,)]"""
)


def strings_in_source(package: Path) -> dict:
    """The literal strings a package passes to gettext (DRF ships no source catalog)."""
    keys = {}
    for path in package.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for match in GETTEXT_CALL.finditer(path.read_text(encoding="utf-8")):
            msgid = ast.literal_eval(f"({match.group(1)})")
            keys[msgid] = catalog_key(msgid)
    return keys


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("name", CATALOGS)
def test_every_string_of_djangos_catalog_has_a_translation_of_its_own(name, language):
    domain = CATALOGS[name][1]
    assert untranslated(django_strings(name), language, domain) == []


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_string_of_django_rest_framework_has_a_translation_of_its_own(language):
    keys = strings_in_source(Path(rest_framework.__file__).parent)
    assert "This field is required." in keys and "Method \"{method}\" not allowed." in keys  # the reader works
    assert untranslated(keys, language) == []


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_string_of_django_axes_has_a_translation_of_its_own(language):
    package = Path(axes.__file__).parent
    keys = strings_in_source(package)
    keys |= {entry.msgid: catalog_key(entry.msgid) for entry in read_po(package / "locale/ru/LC_MESSAGES/django.po")}
    assert "access attempt expiration" in keys
    assert untranslated(keys, language) == []


def test_the_check_does_not_count_the_russian_fallback_as_a_translation():
    # The control: in a language no catalog here has (Abkhaz), gettext still answers, in
    # Russian, the default language; the check calls that untranslated.
    assert trans_real.DjangoTranslation("ab").gettext("This field is required.") == "Обязательное поле."
    assert untranslated({"This field is required.": "This field is required."}, "ab") == ["This field is required."]
