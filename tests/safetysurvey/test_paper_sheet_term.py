"""One term for a paper sheet in each language: "бумажный бланк", "қағаз бланк", "paper sheet",
the term of the paper workflow (docs/paper.md); not "бумажная анкета", "қағаз сауалнама",
"paper questionnaire", "лист" or "парақ" (issue 11, item 14)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.page_text import text_of
from tests.pofiles import read_po

ROOT = Path(settings.BASE_DIR)
# The other words once used for the same sheet, by language (as whole words, any case ending).
OTHER_TERMS = {
    "ru": r"бумажн\w* анкет\w*|анкет\w* для печати|\bлист(ы|ов|а)?\b",
    "kk": r"қағаз сауалнама\w*|басып шығаруға арналған сауалнама\w*|\bпарақ\w*",
    "en": r"paper questionnaires?|printable questionnaires?",
}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_no_translation_calls_a_paper_sheet_by_another_name(language):
    entries = read_po(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")
    found = [
        (entry.msgid, text)
        for entry in entries
        for text in entry.msgstr
        if re.search(OTHER_TERMS[language], text, re.I)
    ]
    assert found == []


def test_no_english_string_or_document_calls_a_paper_sheet_by_another_name():
    entries = read_po(ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po")
    assert [entry.msgid for entry in entries if re.search(OTHER_TERMS["en"], entry.msgid, re.I)] == []
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert not re.search(OTHER_TERMS["en"], document.read_text(encoding="utf-8"), re.I), document.name


@pytest.mark.parametrize(
    "language, term", [("ru", "Бумажные бланки"), ("kk", "Қағаз бланктер"), ("en", "Paper sheets")]
)
def test_a_volunteer_finds_the_paper_sheets_on_the_home_page(login, volunteer_a, language, term):
    client = login(volunteer_a)
    client.cookies["django_language"] = language
    assert term in text_of(client.get("/"))


@pytest.mark.parametrize(
    "language, heading",
    [("ru", "Бланки для печати"), ("kk", "Басып шығаруға арналған бланктер"), ("en", "Printable sheets")],
)
def test_a_batch_offers_its_printable_sheets(login, coordinator, paper_batch, language, heading):
    client = login(coordinator)
    client.cookies["django_language"] = language
    assert heading in text_of(client.get(reverse("paper:batch", args=[paper_batch.pk])))
