"""The survey's pages render in Russian (the default), Kazakh and English."""

import pytest
from django.urls import reverse

from checklist.definition import pick

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("accept_language", "language", "send_button"),
    [("", "ru", "Отправить ответы"), ("kk-KZ,kk;q=0.9", "kk", "Жауаптарды жіберу"), ("en-GB", "en", "Send answers")],
)
def test_the_question_page_speaks_the_language_of_the_browser(
    client, survey_ready, definition, accept_language, language, send_button
):
    page = client.get("/survey/KRG-KZB/questions/", HTTP_ACCEPT_LANGUAGE=accept_language)
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<html lang="{language}">' in html
    assert send_button in html
    assert pick(definition.title, language) in html
    assert definition.items[0].question(language) in html


def test_a_language_chosen_on_the_site_wins_over_the_browser(client, survey_ready, definition):
    client.post("/i18n/setlang/", {"language": "kk", "next": "/survey/"})
    page = client.get("/survey/", HTTP_ACCEPT_LANGUAGE="ru")
    assert '<html lang="kk">' in page.content.decode()
    assert "Қай жерде тұрасыз?" in page.content.decode()


def test_every_question_and_option_of_the_published_checklist_is_on_the_form(client, survey_ready, definition):
    html = client.get("/survey/KRG-KZB/questions/").content.decode()
    for item in definition.items:
        assert f'name="{item.code}"' in html
        assert item.question("ru") in html
        for option in item.options:
            assert f'id="q-{item.code}-{option.value}"' in html


def test_questions_are_grouped_in_parts_with_their_position(client, survey_ready, definition):
    html = client.get("/survey/KRG-KZB/questions/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    total = len(definition.sections)
    for number, section in enumerate(definition.sections, start=1):
        assert pick(section.title, "kk") in html
        assert f"{number}-бөлім (барлығы {total})" in html


def test_each_choice_question_is_a_fieldset_with_a_legend_and_labelled_options(client, survey_ready, definition):
    html = client.get("/survey/KRG-KZB/questions/").content.decode()
    assert html.count("<fieldset") >= sum(1 for item in definition.items if item.has_options)
    assert html.count("<legend") >= sum(1 for item in definition.items if item.has_options)
    assert '<label for="q-safe_walk_dark-4">' in html


def test_the_consent_text_comes_first_in_the_chosen_language(client, survey_ready, definition):
    page = client.get("/survey/KRG-KZB/", HTTP_ACCEPT_LANGUAGE="kk")
    html = page.content.decode()
    assert pick(definition.consent, "kk")[:60] in html
    assert "Келісемін, сауалнаманы бастау" in html
    assert reverse("survey:questions", kwargs={"code": "KRG-KZB"}) in html


def test_the_home_page_leads_to_the_survey(client, survey_ready):
    html = client.get("/").content.decode()
    assert f'href="{reverse("survey:start")}"' in html
    assert "Пройти опрос" in html


def test_the_form_carries_a_one_time_token_and_a_honeypot(client, survey_ready, client_id_of):
    first = client.get("/survey/KRG-KZB/questions/").content.decode()
    second = client.get("/survey/KRG-KZB/questions/").content.decode()
    assert client_id_of(first) != client_id_of(second)
    assert 'name="homepage"' in first
    assert 'aria-hidden="true"' in first


def test_the_form_page_is_never_cached(client, survey_ready):
    page = client.get("/survey/KRG-KZB/questions/")
    assert "no-store" in page["Cache-Control"]
