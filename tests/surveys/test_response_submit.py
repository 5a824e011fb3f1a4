"""surveys.services.response_submit: the one way a response is stored."""

import uuid

import pytest

from checklist.answers import REQUIRED
from surveys.models import Response, Wave
from surveys.services import NO_OPEN_WAVE, ResponseRejected, response_submit

from ..checklist.test_clean_answers import complete


@pytest.fixture
def answers(definition):
    return {
        **complete(definition),
        "vic_burglary": 0,
        "vic_transport_theft": 0,
        "vic_fraud": 0,
        "vic_assault_hooliganism": 0,
        "safe_walk_dark": 4,
    }


def test_it_stores_the_answers_with_their_scores(survey_ready, district_a, answers):
    response, created = response_submit(district=district_a, language="kk", answers=answers)
    assert created
    response.refresh_from_db()
    assert response.wave == survey_ready["wave"] and response.channel == "online"
    assert response.sdg_safe is True and 0 <= response.feeling <= 100
    assert response.answers["safe_walk_dark"] == 4


def test_it_stores_nothing_identifying(survey_ready, district_a, answers):
    response, _ = response_submit(district=district_a, language="ru", answers=answers)
    stored = {field.name for field in Response._meta.fields}
    assert not stored & {"ip", "ip_address", "user_agent", "created_at", "session", "user"}
    assert type(response.submitted_on).__name__ == "date"


def test_the_same_client_id_is_stored_once(survey_ready, district_a, answers):
    client_id = uuid.uuid4()
    first, created = response_submit(district=district_a, language="ru", answers=answers, client_id=client_id)
    again, created_again = response_submit(district=district_a, language="ru", answers=answers, client_id=client_id)
    assert created and not created_again and first.pk == again.pk
    assert Response.objects.count() == 1


def test_an_invalid_response_stores_nothing(survey_ready, district_a, answers):
    del answers["safe_walk_day"]
    with pytest.raises(ResponseRejected) as rejected:
        response_submit(district=district_a, language="ru", answers=answers)
    assert rejected.value.errors == {"answers": {"safe_walk_day": [str(REQUIRED)]}}
    assert not Response.objects.exists()


def test_without_an_open_wave_the_survey_is_closed(survey_ready, district_a, answers):
    Wave.objects.update(is_open=False)
    with pytest.raises(ResponseRejected) as rejected:
        response_submit(district=district_a, language="ru", answers=answers)
    assert rejected.value.errors == {"wave": [str(NO_OPEN_WAVE)]}


def test_a_city_with_districts_takes_no_responses(survey_ready, answers):
    with pytest.raises(ResponseRejected) as rejected:
        response_submit(district=survey_ready["districts"]["KRG-KAR"], language="ru", answers=answers)
    assert "district" in rejected.value.errors
