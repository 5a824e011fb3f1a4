"""The admin in Russian: every model has a translated name, Django's phrases that put a model's
name into a sentence read correctly whatever its gender, and the header names our site
(issue 11, item 10). The same pages in Kazakh: tests/safetysurvey/test_admin_in_kazakh.py."""

import re

import pytest

from checklist.models import Section
from surveys.models import Wave
from tests.page_text import script_catalog, text_of

# What the admin said before: English model names, Django's name, and the nominative case
# where Russian needs another one.
WRONG = [
    "Items",
    "Sections",
    "Options",
    "section",
    "Axes",
    "Администрирование Django",
    "Django",
    "- Select an option -",
    "Добавить волна опроса",
    "Выберите анкета для изменения",
    "Выберите раздел для изменения",
    "был успешно добавлен",
    "Изменить раздел",
    "6 разделы",
]


def assert_none_of_the_wrong_strings(text: str):
    for wrong in WRONG:
        assert wrong not in text, f"the page still says {wrong!r}"


@pytest.fixture
def admin_ru(login, admin_user):
    client = login(admin_user)
    client.cookies["django_language"] = "ru"
    return client


def test_the_index_names_our_site_and_every_model_in_russian(admin_ru, checklist):
    text = text_of(admin_ru.get("/admin/"))
    assert "Опрос о безопасности: администрирование" in text
    for name in ("Разделы", "Вопросы", "Анкеты", "Районы", "Волны опроса", "Блокировка входа"):
        assert name in text
    assert_none_of_the_wrong_strings(text)


def test_the_page_title_names_our_site(admin_ru):
    page = admin_ru.get("/admin/").content.decode()
    assert re.search(r"<title>[^<]*Опрос о безопасности</title>", page)


def test_a_changelist_asks_to_choose_a_record_and_counts_records(admin_ru, checklist):
    text = text_of(admin_ru.get("/admin/checklist/section/"))
    assert "Выберите запись для изменения (раздел)" in text
    assert "Добавить: раздел" in text
    assert f"{Section.objects.count()} записей" in text  # six sections: "6 записей"
    assert_none_of_the_wrong_strings(text)


def test_the_filters_of_a_changelist_are_headed_by_translated_field_names(admin_ru, checklist):
    text = text_of(admin_ru.get("/admin/checklist/item/"))
    assert "Выберите запись для изменения (вопрос)" in text
    assert "Раздел" in text  # the column of the section foreign key
    assert "Section" not in text and "Checklist" not in text
    assert_none_of_the_wrong_strings(text)


def test_the_add_form_of_a_wave_says_what_it_adds(admin_ru):
    text = text_of(admin_ru.get("/admin/surveys/wave/add/"))
    assert "Добавление: волна опроса" in text
    assert_none_of_the_wrong_strings(text)


def test_a_published_section_is_shown_for_viewing_with_its_questions(admin_ru, checklist):
    section = Section.objects.get(checklist=checklist, code="A")
    text = text_of(admin_ru.get(f"/admin/checklist/section/{section.pk}/change/"))
    assert "Просмотр: раздел" in text
    assert "Вопросы" in text  # the heading of the inline
    assert_none_of_the_wrong_strings(text)


def test_a_question_lists_its_answer_options_under_a_russian_heading(admin_ru, checklist):
    item = checklist.sections.get(code="A").items.first()
    text = text_of(admin_ru.get(f"/admin/checklist/item/{item.pk}/change/"))
    assert "Варианты ответа" in text
    assert_none_of_the_wrong_strings(text)


def test_an_empty_choice_is_offered_in_russian(admin_ru, checklist):
    text = text_of(admin_ru.get("/admin/checklist/item/add/"))
    assert "- Выберите вариант -" in text
    assert_none_of_the_wrong_strings(text)


def test_adding_a_wave_says_so_in_a_sentence_that_fits_any_model(admin_ru):
    response = admin_ru.post(
        "/admin/surveys/wave/add/",
        {"code": "2021-spring", "name": "Весна 2021", "starts_on": "2021-03-01"},
        follow=True,
    )
    assert Wave.objects.filter(code="2021-spring").exists()
    text = text_of(response)
    assert "Запись «Весна 2021» (волна опроса) добавлена." in text
    assert_none_of_the_wrong_strings(text)


def test_the_history_of_a_wave_says_what_was_added(admin_ru):
    admin_ru.post("/admin/surveys/wave/add/", {"code": "2021-spring", "name": "Весна 2021", "starts_on": "2021-03-01"})
    wave = Wave.objects.get(code="2021-spring")
    text = text_of(admin_ru.get("/admin/"))
    assert "Весна 2021" in text and "Волна опроса" in text  # the index's recent actions
    text = text_of(admin_ru.get(f"/admin/surveys/wave/{wave.pk}/history/"))
    assert "Добавлено." in text
    assert_none_of_the_wrong_strings(text)


def test_deleting_a_wave_asks_in_a_sentence_that_fits_any_model(admin_ru, wave):
    wave.is_open = False
    wave.save()
    text = text_of(admin_ru.get(f"/admin/surveys/wave/{wave.pk}/delete/"))
    assert f"Удалить запись «{wave}» (волна опроса)?" in text
    response = admin_ru.post(f"/admin/surveys/wave/{wave.pk}/delete/", {"post": "yes"}, follow=True)
    assert f"Запись «{wave}» (волна опроса) удалена." in text_of(response)


def test_the_date_fields_of_a_wave_carry_the_stylesheet_that_hides_the_time_zone_note(admin_ru):
    page = admin_ru.get("/admin/surveys/wave/add/").content.decode()
    assert 'href="/static/css/admin.css"' in page


def test_the_admin_scripts_speak_russian_including_djangos_new_strings(admin_ru):
    # Django 6.1's time-zone note and the calendar's labels are missing from its Russian catalog.
    script = " ".join(str(value) for value in script_catalog(admin_ru.get("/admin/jsi18n/")).values())
    assert "Внимание: время вводится в часовом поясе %(timezone)s." in script
    assert "Сегодня (%(date)s)" in script
