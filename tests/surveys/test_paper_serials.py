"""Sheet serials carry an ISO/IEC 7064 MOD 37-2 check character that catches typing errors."""

import re

import pytest

from surveys.serials import ALPHABET, check_character, make_serial, normalise_serial, serial_problem

SERIAL = make_serial("KRG-KZB", "2020", 123)


def test_a_serial_reads_district_wave_number_and_check_character():
    assert SERIAL.startswith("KRG-KZB-2020-000123-")
    assert len(SERIAL.rsplit("-", 1)[1]) == 1
    assert serial_problem(SERIAL) is None


def test_the_example_serials_in_the_docs_and_the_api_schema_are_valid():
    from pathlib import Path

    from surveys import paper_api

    docs = (Path(__file__).resolve().parents[2] / "docs" / "paper.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"KRG-[A-Z]+-\d{4}-\d{6}-[0-9A-Z*]", docs + paper_api.EntryIn().fields["serial"].help_text))
    assert shown and all(serial_problem(serial) is None for serial in shown), shown


def test_the_check_character_matches_the_published_mod_37_2_example():
    # ISBT 128 donation identification numbers use ISO 7064 MOD 37-2: A999914123458 -> J.
    assert check_character("A999914123458") == "J"


def test_hyphens_and_case_do_not_change_the_check_character():
    assert check_character("KRG-KZB-2020-000123") == check_character("krgkzb2020000123")


def _variants_by_substitution(serial):
    body, check = serial.rsplit("-", 1)
    for position, char in enumerate(serial):
        if char == "-":
            continue
        pool = "0123456789" if char.isdigit() else ALPHABET[:-1]
        for other in pool:
            if other != char:
                yield serial[:position] + other + serial[position + 1 :]


def test_every_single_character_typo_is_caught():
    variants = list(_variants_by_substitution(SERIAL))
    assert len(variants) > 300
    assert all(serial_problem(variant) == "check" for variant in variants if serial_problem(variant) != "format")
    assert all(serial_problem(variant) is not None for variant in variants)


def test_every_swap_of_two_adjacent_characters_is_caught():
    letters = [i for i, char in enumerate(SERIAL) if char != "-"]
    swapped = 0
    for left, right in zip(letters, letters[1:], strict=False):
        chars = list(SERIAL)
        if chars[left] == chars[right]:
            continue
        chars[left], chars[right] = chars[right], chars[left]
        assert serial_problem("".join(chars)) is not None, "".join(chars)
        swapped += 1
    assert swapped >= 10


@pytest.mark.parametrize("number", [1, 99, 4567, 999999])
def test_swapping_digits_of_the_number_across_a_hyphen_free_stretch_is_caught(number):
    serial = make_serial("KRG-TEM", "2019", number)
    digits = serial.split("-")[3]
    for i in range(len(digits) - 1):
        if digits[i] != digits[i + 1]:
            wrong = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
            assert serial_problem(serial.replace(f"-{digits}-", f"-{wrong}-")) == "check"


def test_a_serial_scanned_with_a_russian_keyboard_layout_is_read_as_latin():
    typed = SERIAL.replace("KRG-KZB", "ЛКП-ЛЯИ")
    assert normalise_serial(f"  {typed.lower()} ") == SERIAL


@pytest.mark.parametrize(
    "text", ["", "KRG-KZB", "KRG-KZB-2020-000123", "KRG-KZB-2020-123-4", "KRG KZB 2020 000123 7", "%%%"]
)
def test_text_that_is_not_shaped_like_a_serial_is_malformed(text):
    assert serial_problem(normalise_serial(text)) == "format"
