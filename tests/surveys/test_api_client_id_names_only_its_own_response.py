"""POST /api/v1/responses/ with a client_id that is stored already: the stored response comes back
only to a repeat of the request that stored it (same district, language and cleaned answers);
any other request with that key is a 409 that says nothing of the stored response."""

import uuid

import pytest
from django.utils import translation

from surveys.models import Response
from surveys.services import CLIENT_ID_REUSED

URL = "/api/v1/responses/"


def post(client, body, **headers):
    return client.post(URL, body, content_type="application/json", **headers)


def en(message) -> str:
    with translation.override("en"):
        return str(message)


@pytest.fixture
def body(survey_ready, valid_answers):
    return {"district": "KRG-KZB", "language": "kk", "answers": valid_answers, "client_id": str(uuid.uuid4())}


@pytest.mark.parametrize(
    "change",
    [
        {"district": "KRG-TEM"},
        {"language": "en"},
        {"answers": {"safe_walk_day": 1}},
        {"answers": {"unsafe_place_type": 2, "unsafe_bus_route": "12A"}},
    ],
    ids=["another district", "another language", "another answer", "one answer more"],
)
def test_a_stored_client_id_with_another_body_is_refused_with_409_and_nothing_of_the_stored_response(
    client, body, change
):
    first = post(client, body)
    assert first.status_code == 201
    other = body | change
    if "answers" in change:
        other["answers"] = body["answers"] | change["answers"]
    again = post(client, other, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert again.json() == {"detail": en(CLIENT_ID_REUSED)}
    assert Response.objects.count() == 1
    assert Response.objects.get().answers == body["answers"]


def test_the_409_message_follows_accept_language(client, body):
    post(client, body)
    again = post(client, body | {"language": "ru"}, HTTP_ACCEPT_LANGUAGE="kk")
    with translation.override("kk"):
        assert again.json() == {"detail": str(CLIENT_ID_REUSED)}
    assert again.json()["detail"] != en(CLIENT_ID_REUSED)


def test_the_same_answers_written_another_way_are_the_same_body(client, body):
    body["answers"] |= {"unsafe_place_type": 2, "unsafe_bus_route": "12A", "safe_walk_day": 3}
    first = post(client, body)
    again = post(client, body | {"answers": body["answers"] | {"unsafe_bus_route": " 12а ", "safe_walk_day": 3.0}})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()


def test_a_repeat_with_answers_that_are_refused_now_is_not_the_stored_body(client, body):
    post(client, body)
    again = post(client, body | {"answers": body["answers"] | {"safe_walk_day": 7}})
    assert again.status_code == 409 and "scores" not in again.json()


def test_after_the_wave_closed_another_body_under_a_stored_key_is_still_409(client, body, survey_ready):
    post(client, body)
    survey_ready["wave"].is_open = False
    survey_ready["wave"].save()
    assert post(client, body).status_code == 200
    assert post(client, body | {"district": "KRG-TEM"}).status_code == 409


def test_over_the_rate_limit_another_body_under_a_stored_key_gets_409_not_the_stored_response(client, body, settings):
    settings.SURVEY_RATE_LIMIT = 1
    assert post(client, body).status_code == 201
    assert post(client, body | {"client_id": str(uuid.uuid4())}).status_code == 429
    refused = post(client, body | {"district": "KRG-TEM"})
    assert refused.status_code == 409 and "scores" not in refused.json()
    assert post(client, body).status_code == 200


def test_a_refused_repeat_does_not_count_against_the_rate_limit(client, body, settings):
    settings.SURVEY_RATE_LIMIT = 2
    post(client, body)
    for _ in range(3):
        assert post(client, body | {"language": "ru"}).status_code == 409
    assert post(client, body | {"client_id": str(uuid.uuid4())}).status_code == 201


def test_the_schema_documents_the_409(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    conflict = schema["paths"]["/api/v1/responses/"]["post"]["responses"]["409"]["content"]["application/json"]
    assert conflict["schema"]["$ref"] == "#/components/schemas/Detail"
    assert [example["value"] for example in conflict["examples"].values()] == [{"detail": en(CLIENT_ID_REUSED)}]
