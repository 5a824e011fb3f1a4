"""manage.py load_checklist: the shipped file loads; a bad file is refused whole."""

import pytest
from django.core.management import CommandError, call_command

from checklist.loading import DataFileError, checklist_load
from checklist.models import Checklist, Item, Option

from ..conftest import DATA

GOOD = (DATA / "checklist-v1.yaml").read_text(encoding="utf-8")


def test_the_shipped_checklist_loads_with_every_text_in_three_languages(checklist):
    assert checklist.is_published
    items = Item.objects.filter(section__checklist=checklist)
    assert items.count() == 36
    for item in items:
        assert item.text_ru and item.text_kk and item.text_en, item.code
    assert not Option.objects.filter(label_kk="").exists()
    assert items.get(code="safe_walk_dark").sdg


def test_it_refuses_a_bad_file_naming_the_line_and_item_and_writes_nothing(db, tmp_path):
    bad = GOOD.replace("kind: likert", "kind: slider", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("load_checklist", str(path))
    message = str(error.value)
    assert "nothing was written" in message
    assert "(item safe_walk_dark): kind must be one of" in message
    assert "line " in message
    assert not Checklist.objects.exists()


def test_it_lists_every_problem_not_just_the_first(db):
    bad = GOOD.replace("show_if: {item: vic_fraud, in: [1]}", "show_if: {item: vic_nothing, in: [1]}")
    bad = bad.replace("max_length: 200", "max_length: -5")
    with pytest.raises(DataFileError) as error:
        checklist_load(text=bad)
    problems = error.value.problems
    assert any("vic_fraud_reported" in p and "earlier item" in p for p in problems)
    assert any("unsafe_place_note" in p and "max_length" in p for p in problems)


def test_it_refuses_text_missing_in_kazakh(db):
    bad = GOOD.replace('kk: "Өте қауіпсіз"', 'kk: ""', 1)
    with pytest.raises(DataFileError, match="no text in kk"):
        checklist_load(text=bad)


def test_a_published_version_is_never_replaced(checklist):
    with pytest.raises(DataFileError, match="already published"):
        checklist_load(text=GOOD)


def test_a_draft_of_the_same_version_is_replaced(db):
    first = checklist_load(text=GOOD, publish=False)
    second = checklist_load(text=GOOD.replace("Very safe", "Completely safe"), publish=False)
    assert Checklist.objects.count() == 1 and second.pk != first.pk
    assert Option.objects.filter(label_en="Completely safe").exists()


def test_invalid_yaml_reports_its_line(db):
    with pytest.raises(DataFileError, match="line 3"):
        checklist_load(text="version: 1\ntitle: {ru: a\nsections: [")


def test_consent_and_thank_you_texts_are_required(db):
    start = GOOD.index("consent:")
    end = GOOD.index("thanks:")
    with pytest.raises(DataFileError, match="consent must give a text"):
        checklist_load(text=GOOD[:start] + GOOD[end:])
    assert not Checklist.objects.exists()
