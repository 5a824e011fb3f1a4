"""Follow-up questions work without JavaScript: shown with an "answer only if" note, and
answers to follow-ups whose condition is false are dropped before validation."""

import pytest

from surveys.models import Response

pytestmark = pytest.mark.django_db


def test_a_follow_up_says_when_to_answer_it(client, survey_ready):
    html = client.get("/survey/KRG-KZB/questions/").content.decode()
    question = html[html.index('id="question-vic_burglary_reported"') :]
    question = question[: question.index('id="question-vic_transport_theft"')]
    assert 'data-show-if="vic_burglary"' in question
    assert 'data-show-if-values="1"' in question
    assert "Ответьте, только если в вопросе 22 вы выбрали «Да»." in question
    assert "22a." in question


def test_the_follow_up_note_speaks_kazakh(client, survey_ready):
    html = client.get("/survey/KRG-KZB/questions/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "22-сұрақта «Иә» жауабын таңдасаңыз ғана жауап беріңіз." in html


def test_an_answer_to_a_follow_up_that_does_not_apply_is_dropped_not_refused(
    fill_in, survey_ready, definition, complete_answers
):
    answers = complete_answers(choose={"vic_burglary": 0}) | {"vic_burglary_reported": "1"}
    page = fill_in(answers=answers)
    assert page.status_code == 302
    stored = Response.objects.get().answers
    assert stored["vic_burglary"] == 0
    assert "vic_burglary_reported" not in stored


def test_a_follow_up_that_applies_must_be_answered(fill_in, survey_ready, definition, complete_answers):
    answers = complete_answers(choose={"vic_fraud": 1})
    del answers["vic_fraud_reported"]
    html = fill_in(answers=answers).content.decode()
    assert 'id="error-vic_fraud_reported"' in html
    assert Response.objects.count() == 0


def test_a_follow_up_that_applies_is_stored(fill_in, survey_ready, definition, complete_answers):
    answers = complete_answers(choose={"safe_walk_dark": 8, "safe_walk_dark_would": 2})
    assert fill_in(answers=answers).status_code == 302
    stored = Response.objects.get().answers
    assert stored["safe_walk_dark"] == 8
    assert stored["safe_walk_dark_would"] == 2
