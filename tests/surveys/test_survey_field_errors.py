"""A response with problems comes back with every error next to its field, in the resident's
language, with a summary at the top; nothing is stored and nothing typed is lost."""

import re

import pytest
from django.utils import translation

from checklist.answers import NOT_AN_OPTION, REQUIRED
from surveys.models import Response

pytestmark = pytest.mark.django_db


def error_of(html: str, code: str) -> str:
    match = re.search(rf'<p class="field-error" id="error-{code}">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).split(":", 1)[1].strip() if match else ""


def without(answers: dict, *codes) -> dict:
    return {code: value for code, value in answers.items() if code not in codes}


def test_a_missing_answer_is_named_next_to_its_question_in_kazakh(fill_in, survey_ready, definition, complete_answers):
    page = fill_in(answers=without(complete_answers(), "safe_walk_day"), HTTP_ACCEPT_LANGUAGE="kk")
    html = page.content.decode()
    assert page.status_code == 200
    assert error_of(html, "safe_walk_day") == "Осы сұраққа жауап беріңіз."
    with translation.override("kk"):
        assert error_of(html, "safe_walk_day") == str(REQUIRED)


def test_a_missing_answer_is_named_next_to_its_question_in_russian(fill_in, survey_ready, definition, complete_answers):
    html = fill_in(answers=without(complete_answers(), "pol_trust")).content.decode()
    assert error_of(html, "pol_trust") == "Пожалуйста, ответьте на этот вопрос."


def test_a_value_outside_the_options_gets_the_option_message(fill_in, survey_ready, definition, complete_answers):
    answers = complete_answers() | {"env_lighting": "7"}
    html = fill_in(answers=answers, HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    with translation.override("kk"):
        assert error_of(html, "env_lighting") == str(NOT_AN_OPTION)
    assert error_of(html, "env_lighting") == "Ұсынылған жауаптардың бірін таңдаңыз."


def test_text_over_its_length_is_refused_in_russian_with_both_numbers(
    fill_in, survey_ready, definition, complete_answers
):
    answers = complete_answers() | {"unsafe_place_note": "я" * 201}
    html = fill_in(answers=answers).content.decode()
    message = error_of(html, "unsafe_place_note")
    assert "200" in message and "201" in message
    assert "Слишком длинный ответ" in message


def test_the_errored_question_is_marked_for_assistive_technology(fill_in, survey_ready, definition, complete_answers):
    html = fill_in(answers=without(complete_answers(), "safe_walk_day")).content.decode()
    question = html[html.index('id="question-safe_walk_day"') : html.index('id="question-safe_home_night"')]
    assert 'aria-describedby="error-safe_walk_day"' in question
    assert question.count('aria-invalid="true"') == len(
        next(i for i in definition.items if i.code == "safe_walk_day").options
    )
    assert (
        "aria-invalid"
        not in html[html.index('id="question-safe_home_night"') : html.index('id="question-safe_transport"')]
    )


def test_the_summary_at_the_top_links_to_each_problem(fill_in, survey_ready, definition, complete_answers):
    answers = without(complete_answers(), "safe_walk_day") | {"env_lighting": "7"}
    html = fill_in(answers=answers).content.decode()
    summary = html[html.index('class="error-summary"') : html.index('id="survey-progress"')]
    assert html.index('class="error-summary"') < html.index('<section class="part"')
    assert 'href="#q-safe_walk_day-4"' in summary
    assert 'href="#q-env_lighting-1"' in summary
    assert "Вопрос 2: Пожалуйста, ответьте на этот вопрос." in summary
    assert "<title>Ошибка:" in html


def test_many_unanswered_questions_are_summarised_as_a_row_of_numbers(fill_in, survey_ready):
    html = fill_in(answers={"safe_walk_dark": "3"}, HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    summary = html[html.index('class="error-summary"') : html.index('id="survey-progress"')]
    assert "Жауап берілмеген сұрақтар:" in summary
    assert 'aria-label="2-сұрақ"' in summary
    assert summary.count("Осы сұраққа жауап беріңіз.") == 0


def test_nothing_is_stored_while_any_answer_has_a_problem(fill_in, survey_ready, definition, complete_answers):
    fill_in(answers=without(complete_answers(), "pol_fair"))
    fill_in(answers=complete_answers() | {"age_group": "99"})
    assert Response.objects.count() == 0


def test_what_the_resident_entered_is_kept_when_the_form_comes_back(
    fill_in, survey_ready, definition, complete_answers
):
    answers = without(complete_answers(), "pol_fair") | {
        "safe_walk_day": "2",
        "unsafe_place_type": "2",
        "unsafe_bus_route": "12а",
        "unsafe_place_note": "Остановка у рынка",
    }
    page = fill_in(answers=answers)
    html = page.content.decode()
    assert re.search(r'id="q-safe_walk_day-2" name="safe_walk_day" value="2" checked', html)
    assert not re.search(r'id="q-safe_walk_day-4" name="safe_walk_day" value="4" checked', html)
    assert 'value="12а"' in html
    assert '>Остановка у рынка</textarea>' in html


def test_the_token_survives_the_round_trip_so_the_corrected_form_counts_once(
    fill_in, survey_ready, definition, complete_answers
):
    token = "6f1c1b6e-3c2a-4f7e-9d59-0a4b1f0e2d11"
    first = fill_in(answers=without(complete_answers(), "pol_fair"), client_id=token)
    assert f'value="{token}"' in first.content.decode()
    fill_in(client_id=token)
    fill_in(client_id=token)
    assert [str(response.client_id) for response in Response.objects.all()] == [token]
