"""Answers of a paper sheet: reading keyed text, checking an entry, comparing two entries.

Pure functions over the checklist definition, no database: the entry form, the API, the
file import and the benchmark share them. Validation is `checklist.answers.clean_answers`
(the same rules and messages as the online survey) with one deliberate difference: a
follow-up question answered on paper although its condition is false is KEPT as keyed and
listed in `not_applicable`, because the volunteer types what is on the sheet and only the
coordinator, with the sheet in hand, decides which of the two answers is wrong.
"""

import re
from dataclasses import dataclass

from checklist.answers import NOT_SHOWN, clean_answers, clean_value, is_blank
from checklist.definition import ChecklistDef, ItemDef

_NUMBERS_IN_TEXT = re.compile(r"-?\d+")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d+([.,]\d+)?$")


def parse_keyed(item: ItemDef, text) -> object:
    """The value of one item from what was typed or found in a file cell.

    Options are keyed as their printed values ("4"; "1 3" or "1,3" for several). Text that
    is not a number is passed on unchanged so that validation answers with the checklist's
    own message ("Choose one of the answers offered"). A blank cell is None.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        # openpyxl gives numbers as int/float; 4.0 is the option 4.
        if isinstance(text, float) and text.is_integer() and item.kind != "number":
            return int(text)
        return text
    text = text.strip()
    if text == "":
        return None
    if item.kind == "multiple":
        if not re.fullmatch(r"[\d\s,;]+", text):
            return text
        return [int(part) for part in _NUMBERS_IN_TEXT.findall(text)]
    if item.has_options:
        if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
            return int(float(text))
        return text
    if item.kind == "number":
        if _INTEGER.match(text):
            return int(text)
        if _DECIMAL.match(text):
            return float(text.replace(",", "."))
        return text
    return text


def parse_keyed_answers(definition: ChecklistDef, texts: dict) -> dict:
    """Item code -> typed value for every non-blank field; unknown codes are kept as they are."""
    answers = {}
    for code, text in texts.items():
        item = definition.by_code.get(code)
        value = parse_keyed(item, text) if item else text
        if not is_blank(value):
            answers[code] = value
    return answers


@dataclass(frozen=True)
class CheckedEntry:
    answers: dict  # cleaned values, including follow-ups kept although not applicable
    not_applicable: list[str]  # codes of those follow-ups
    errors: dict[str, list[str]]  # item code -> messages; empty when the entry may be stored


def entry_check(definition: ChecklistDef, answers: dict) -> CheckedEntry:
    """Validate one keying of a sheet as clean_answers does, tolerating answered follow-ups
    whose condition is false (kept, flagged in `not_applicable`)."""
    cleaned, errors = clean_answers(definition, answers)
    not_applicable = []
    for code, messages in list(errors.items()):
        if messages != [str(NOT_SHOWN)]:
            continue
        item = definition.by_code[code]
        value, error = clean_value(item, answers[code])
        if error:
            errors[code] = [str(error)]
            continue
        del errors[code]
        cleaned[code] = value
        not_applicable.append(code)
    ordered = {item.code: cleaned[item.code] for item in definition.items if item.code in cleaned}
    return CheckedEntry(answers=ordered, not_applicable=not_applicable, errors=errors)


def differing_items(definition: ChecklistDef, first: dict, second: dict) -> list[str]:
    """Codes of the items, in sheet order, whose two keyed values differ (blank = blank)."""
    return [item.code for item in definition.items if first.get(item.code) != second.get(item.code)]


def agreed_answers(definition: ChecklistDef, first: dict, second: dict) -> dict:
    """The answers both entries share (the reconciliation form starts from these)."""
    return {
        item.code: first[item.code]
        for item in definition.items
        if item.code in first and first.get(item.code) == second.get(item.code)
    }


def display_value(item: ItemDef | None, value, language: str | None = None) -> str:
    """A keyed value as the coordinator reads it: "4 · Very safe", "1, 3", text as is."""
    if is_blank(value):
        return "—"
    if item is None or not item.has_options:
        return str(value)
    values = value if isinstance(value, list) else [value]
    parts = []
    for one in values:
        option = item.option(one)
        parts.append(f"{one} · {option.text(language)}" if option else str(one))
    return "; ".join(parts)


def keyed_text(item: ItemDef, value) -> str:
    """The inverse of parse_keyed: what a volunteer would type for `value`."""
    if is_blank(value):
        return ""
    if isinstance(value, list):
        return " ".join(str(one) for one in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
