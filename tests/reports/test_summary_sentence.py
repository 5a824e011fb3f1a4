"""The plain-language sentence of each district, in ru, kk and en, with plurals."""

import pytest
from django.utils.translation import override

from reports.rendering import _Formatter, summary_sentence
from surveys.models import Wave


def _unit(share=0.61, low=0.56, high=0.66, diff=None, significant=True, suppressed=False):
    block = {"sdg": {"value": share, "low": low, "high": high, "suppressed": False}}
    if diff is not None:
        block["change"] = {"sdg": {"diff": diff, "low": diff - 0.03, "high": diff + 0.03,
                                   "significant": significant, "suppressed": False}}
    return {"n": 300, "suppressed": suppressed, "weighted": block}


PREVIOUS = Wave(code="2019", name="2019")


def sentence(language, name, unit, previous=PREVIOUS):
    with override(language):
        return summary_sentence(name, unit, previous, _Formatter(10))


def test_english():
    assert sentence("en", "Kazybek Bi district", _unit(diff=0.07)) == (
        "In Kazybek Bi district 61% (56–66%) feel safe walking alone after dark, up 7 points since 2019.")
    assert sentence("en", "Temirtau", _unit(diff=0.012)).endswith("up 1 point since 2019.")
    assert sentence("en", "Temirtau", _unit(diff=-0.03)).endswith("down 3 points since 2019.")
    assert sentence("en", "Temirtau", _unit(diff=0.02, significant=False)).endswith("about the same as in 2019.")
    assert sentence("en", "Temirtau", _unit(), previous=None).endswith("feel safe walking alone after dark.")


@pytest.mark.parametrize("points, words", [
    (1, "на 1 процентный пункт больше"),
    (3, "на 3 процентных пункта больше"),
    (7, "на 7 процентных пунктов больше"),
    (12, "на 12 процентных пунктов больше"),
    (21, "на 21 процентный пункт больше"),
])
def test_russian_plurals(points, words):
    text = sentence("ru", "район имени Казыбек би", _unit(diff=points / 100))
    assert text.startswith("Район имени Казыбек би: 61% (56–66%) жителей чувствуют себя в безопасности")
    assert text.endswith(f"— {words}, чем в волне «2019».")


def test_russian_fall():
    assert sentence("ru", "Темиртау", _unit(diff=-0.04)).endswith("на 4 процентных пункта меньше, чем в волне «2019».")


def test_kazakh():
    text = sentence("kk", "Қазыбек би ауданы", _unit(diff=0.07))
    assert text.startswith("Қазыбек би ауданы: тұрғындардың 61%-ы (56–66%) қараңғы түскеннен кейін")
    assert text.endswith("«2019» кезеңімен салыстырғанда 7 пайыздық тармаққа көп.")
    assert sentence("kk", "Теміртау", _unit(diff=-0.01)).endswith("1 пайыздық тармаққа аз.")


@pytest.mark.parametrize("language, expected", [
    ("en", "Saran: fewer than 10 responses in this wave, too few to report figures."),
    ("ru", "Сарань: в этой волне собрано менее 10 ответов — слишком мало, чтобы публиковать показатели."),
    ("kk", "Саран: бұл кезеңде 10 жауаптан аз жиналды, көрсеткіштерді жариялау үшін бұл тым аз."),
])
def test_a_suppressed_district_says_so_without_a_number(language, expected):
    unit = {"n": None, "suppressed": True, "weighted": {"sdg": {"suppressed": True}}}
    name = {"en": "Saran", "ru": "Сарань", "kk": "Саран"}[language]
    assert sentence(language, name, unit) == expected
