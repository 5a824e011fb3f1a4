"""Check a set of answers against a checklist version: pure, no database.

One function serves the resident form, the API, paper entry and the bulk import, so
every channel refuses the same things with the same words. Messages are translated
into the active language; tests assert on the constants below.
"""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from .definition import ChecklistDef, ItemDef

UNKNOWN_ITEM = _("There is no such question in this checklist.")
REQUIRED = _("Please answer this question.")
NOT_SHOWN = _("This question does not apply, given your earlier answers.")
NOT_AN_OPTION = _("Choose one of the answers offered.")
NOT_A_LIST = _("Choose one or more of the answers offered.")
NOT_A_NUMBER = _("Enter a number.")
BELOW_MIN = _("Enter a number of at least %(limit)s.")
ABOVE_MAX = _("Enter a number of at most %(limit)s.")
NOT_TEXT = _("Enter text.")
TOO_LONG = _("Use at most %(limit)d characters (you used %(length)d).")
CONTROL_CHARACTERS = _("This answer contains invisible characters that cannot be saved. Please type it again.")

# Residents type route numbers with Cyrillic or Latin letters that look alike (12А / 12A).
_LOOKALIKES = str.maketrans("АВЕКМНОРСТХУ", "ABEKMHOPCTXY")
_SPACES = re.compile(r"\s+")
# What no text answer may hold: the C0 control characters but tab, line feed and carriage return
# (the rule surveys/paper_import.py applies to files), and unpaired surrogates. PostgreSQL cannot
# store a NUL at all; the others are never typed by a person. Checked before trimming, which
# would silently drop some of them (str.strip takes \x1c-\x1f for spaces).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def normalise_place(text: str) -> str:
    """A bus route or place as reports count it: trimmed, single-spaced, upper-case, with
    Cyrillic look-alike letters written in Latin (METHOD.md §2 E)."""
    text = unicodedata.normalize("NFC", _SPACES.sub(" ", text.strip())).upper()
    return text.translate(_LOOKALIKES)


def is_blank(value) -> bool:
    return value is None or value == "" or value == []


def is_shown(item: ItemDef, answers: dict) -> bool:
    """Show-if logic: an item with a condition is shown only when the earlier answer matches."""
    if not item.show_if_item:
        return True
    value = answers.get(item.show_if_item)
    if isinstance(value, list):
        return any(v in item.show_if_values for v in value)
    return value in item.show_if_values


def _whole(value) -> int | None:
    """An integer, accepting 3 and 3.0 but not True, "3" or 3.5."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def clean_value(item: ItemDef, value):
    """Return (cleaned value, error message or None) for one answered item."""
    if item.has_options and item.kind != "multiple":
        number = _whole(value)
        if number is None or item.option(number) is None:
            return None, NOT_AN_OPTION
        return number, None
    if item.kind == "multiple":
        if not isinstance(value, list):
            return None, NOT_A_LIST
        numbers = [_whole(v) for v in value]
        if any(n is None or item.option(n) is None for n in numbers) or len(set(numbers)) != len(numbers):
            return None, NOT_AN_OPTION
        return sorted(numbers), None
    if item.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return None, NOT_A_NUMBER
        if item.min_value is not None and value < item.min_value:
            return None, BELOW_MIN % {"limit": _format_limit(item.min_value)}
        if item.max_value is not None and value > item.max_value:
            return None, ABOVE_MAX % {"limit": _format_limit(item.max_value)}
        return value, None
    # text and place
    if not isinstance(value, str):
        return None, NOT_TEXT
    if _CONTROL.search(value):
        return None, CONTROL_CHARACTERS
    text = normalise_place(value) if item.kind == "place" else value.strip()
    if item.max_length and len(text) > item.max_length:
        return None, TOO_LONG % {"limit": item.max_length, "length": len(text)}
    return text, None


def _format_limit(limit: float) -> str:
    return str(int(limit)) if float(limit).is_integer() else str(limit)


def clean_answers(checklist: ChecklistDef, answers: dict) -> tuple[dict, dict[str, list[str]]]:
    """Validate answers (item code -> value). Returns (cleaned answers, errors by item code).

    Cleaned answers hold only answered, shown items, in the checklist's order. Errors are
    empty when the response may be stored.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    known = checklist.by_code
    for code in answers:
        if code not in known:
            errors[str(code)] = [str(UNKNOWN_ITEM)]
    for item in checklist.items:
        value = answers.get(item.code)
        shown = is_shown(item, cleaned)
        if is_blank(value) or (isinstance(value, str) and not value.strip()):
            if shown and item.required:
                errors[item.code] = [str(REQUIRED)]
            continue
        if not shown:
            errors[item.code] = [str(NOT_SHOWN)]
            continue
        value, error = clean_value(item, value)
        if error:
            errors[item.code] = [str(error)]
        elif not is_blank(value):
            cleaned[item.code] = value
    return cleaned, errors
