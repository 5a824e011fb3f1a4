"""Sheet serials and their check character: pure functions, no database.

A serial reads `KRG-KZB-2020-000123-2`: district code, wave code, the sheet's number
within that district and wave (six digits), and one check character.

The check character follows ISO/IEC 7064 MOD 37-2, the standard pure system for
alphanumeric strings: computed over the letters and digits of everything before it
(hyphens are ignored), it takes one of the 37 values 0–9, A–Z and `*`. Because 37 is
prime and 2 is not a multiple of it, the system detects EVERY single-character
substitution (a 3 typed for an 8, a K for an R) and EVERY transposition of two
characters, adjacent or one apart (…0132… for …0123…); see tests/surveys/test_paper_serials.py.
Luhn mod N and the ISO 7064 hybrid systems miss some transpositions, which is why they
were not chosen.

Barcode scanners act as a keyboard: with a Russian keyboard layout active they "type"
the Cyrillic letters that sit on the same keys (ЛКП for KRG). `normalise_serial` maps
those back, so a scan works whatever layout the volunteer's computer is in.
"""

import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
MODULUS = 37
RADIX = 2
NUMBER_DIGITS = 6

# The Russian ЙЦУКЕН layout, key by key, onto the US QWERTY letters in the same place.
_RUSSIAN_KEYS = str.maketrans(
    "ЙЦУКЕНГШЩЗФЫВАПРОЛДЯЧСМИТЬйцукенгшщзфывапролдячсмить",
    "QWERTYUIOPASDFGHJKLZXCVBNMQWERTYUIOPASDFGHJKLZXCVBNM",
)
_SERIAL = re.compile(rf"^(?P<body>[A-Z0-9][A-Z0-9_-]*-(?P<number>\d{{{NUMBER_DIGITS}}}))-(?P<check>[0-9A-Z*])$")


def check_character(body: str) -> str:
    """The ISO/IEC 7064 MOD 37-2 check character of `body` (letters and digits count,
    anything else is skipped; case does not matter)."""
    total = 0
    for char in body.upper():
        value = ALPHABET.find(char)
        if value < 0 or char == "*":
            continue
        total = ((total + value) * RADIX) % MODULUS
    return ALPHABET[(MODULUS + 1 - total) % MODULUS]


def make_serial(district_code: str, wave_code: str, number: int) -> str:
    """The printed serial of sheet `number` of a district and wave."""
    body = f"{district_code.upper()}-{wave_code.upper()}-{number:0{NUMBER_DIGITS}d}"
    return f"{body}-{check_character(body)}"


def normalise_serial(text: str) -> str:
    """A serial as typed or scanned, made comparable: trimmed, upper-case, with inner
    spaces dropped and keys typed in the Russian layout read as the Latin letters."""
    return re.sub(r"\s+", "", text or "").translate(_RUSSIAN_KEYS).upper()


def serial_problem(serial: str) -> str | None:
    """None for a well-formed serial whose check character matches; else "format" or "check".

    `serial` must already be normalised.
    """
    match = _SERIAL.match(serial)
    if not match:
        return "format"
    if check_character(match["body"]) != match["check"]:
        return "check"
    return None
