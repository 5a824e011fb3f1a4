"""POST /api/v1/responses/ with a bad request (fields, body, content type, a closed survey):
a 4xx or 503 with a clear message, never a 500, and nothing stored."""

import io
import json

import pytest
from django.utils import translation
from rest_framework.exceptions import ParseError

from surveys import api, parsers, services
from surveys.models import Response, Wave

URL = "/api/v1/responses/"


def en(message, **params) -> str:
    with translation.override("en"):
        return str(message % params if params else message)


def send(client, raw, content_type="application/json", **extra):
    """POST raw bytes (or a JSON-able body) asking for English messages."""
    data = raw if isinstance(raw, (bytes, str)) else json.dumps(raw)
    return client.generic("POST", URL, data, content_type=content_type, HTTP_ACCEPT_LANGUAGE="en", **extra)


def refused(client, raw, status=400, **extra) -> dict:
    before = Response.objects.count()
    response = send(client, raw, **extra)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert Response.objects.count() == before
    return response.json()


def with_raw_answer(body, raw: str) -> str:
    """The body as JSON text with safe_walk_day's value written as `raw` (which json.dumps can't)."""
    return json.dumps(body | {"answers": body["answers"] | {"safe_walk_day": "__RAW__"}}).replace('"__RAW__"', raw)


@pytest.fixture
def body(survey_ready, valid_answers):
    return {"district": "KRG-KZB", "language": "ru", "answers": valid_answers}


# ---------------------------------------------------------------- fields


def test_an_unknown_district_is_refused(client, body):
    assert refused(client, body | {"district": "KRG-XXX"}) == {"district": [en(api.UNKNOWN_DISTRICT)]}


def test_a_district_that_takes_no_responses_is_refused(client, body):
    errors = refused(client, body | {"district": "KRG-KAR"})  # Karaganda city: answer for one of its districts
    assert errors == {"district": [en(services.DISTRICT_TAKES_NO_RESPONSES)]}
    assert refused(client, body | {"district": "KRG"}) == errors


def test_a_district_given_as_a_number_or_a_list_is_refused(client, body):
    assert list(refused(client, body | {"district": 42})) == ["district"]
    assert list(refused(client, body | {"district": ["KRG-KZB"]})) == ["district"]


def test_an_unknown_language_is_refused(client, body):
    assert refused(client, body | {"language": "de"}) == {"language": [en(services.UNKNOWN_LANGUAGE)]}


def test_answers_that_are_not_an_object_are_refused(client, body):
    expected = {"answers": [en(api.ANSWERS_NOT_AN_OBJECT)]}
    assert refused(client, body | {"answers": [["safe_walk_day", 3]]}) == expected
    assert refused(client, body | {"answers": "safe_walk_day=3"}) == expected
    assert refused(client, body | {"answers": None}) == {"answers": ["This field may not be null."]}


def test_a_client_id_that_is_not_a_uuid_is_refused(client, body):
    assert list(refused(client, body | {"client_id": "my-phone"})) == ["client_id"]
    assert list(refused(client, body | {"client_id": 12345})) == ["client_id"]


def test_missing_fields_are_each_named(client, survey_ready):
    assert set(refused(client, {})) == {"district", "language", "answers"}


def test_a_bad_district_and_bad_answers_are_reported_together(client, body):
    body["district"] = "nowhere"
    body["answers"]["safe_walk_day"] = 99
    errors = refused(client, body)
    assert set(errors) == {"district", "answers"}
    assert list(errors["answers"]) == ["safe_walk_day"]


def test_unknown_top_level_fields_are_ignored_and_not_stored(client, body):
    response = send(client, body | {"name": "Айгерим", "phone": "+7 700 000 00 00"})
    assert response.status_code == 201
    assert "Айгерим" not in json.dumps(Response.objects.get().answers, ensure_ascii=False)


# ---------------------------------------------------------------- the body


def test_a_body_over_64_kib_is_refused_with_a_clear_message(client, body):
    body["answers"]["unsafe_place_note"] = "x" * (64 * 1024)
    assert refused(client, body) == {"detail": en(parsers.BODY_TOO_LARGE, limit=64)}


def test_a_declared_content_length_over_64_kib_is_refused_before_reading(client, body):
    errors = refused(client, json.dumps(body), CONTENT_LENGTH=str(64 * 1024 + 1))
    assert errors == {"detail": en(parsers.BODY_TOO_LARGE, limit=64)}


def test_a_body_over_djangos_own_upload_limit_is_a_400_not_an_error_page(client, body, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100 * 1024  # Django raises RequestDataTooBig above this
    body["answers"]["unsafe_place_note"] = "x" * (200 * 1024)
    assert refused(client, body) == {"detail": en(parsers.BODY_TOO_LARGE, limit=64)}


def test_the_parser_trusts_the_bytes_it_reads_not_the_declared_length():
    parser = parsers.BoundedJSONParser()
    oversized = io.BytesIO(b'{"a": "' + b"x" * (64 * 1024) + b'"}')
    with pytest.raises(ParseError) as refused_error, translation.override("en"):
        parser.parse(oversized, "application/json", {})
    assert str(refused_error.value.detail) == en(parsers.BODY_TOO_LARGE, limit=64)
    assert parser.parse(io.BytesIO(b'{"a": 1}'), "application/json", {}) == {"a": 1}


def test_a_body_of_exactly_64_kib_is_read(client, body):
    raw = json.dumps(body)
    raw = raw[:-1] + " " * (64 * 1024 - len(raw.encode())) + "}"
    assert len(raw.encode()) == 64 * 1024
    assert send(client, raw).status_code == 201


def test_malformed_json_is_refused_with_where_it_broke(client, body):
    errors = refused(client, '{"district": "KRG-KZB", "answers": {')
    assert list(errors) == ["detail"]
    assert errors["detail"].startswith("The request body is not valid JSON: ")
    assert "line 1" in errors["detail"]


def test_a_json_array_instead_of_an_object_is_refused(client, body):
    errors = refused(client, [body])
    assert errors == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_a_bare_json_value_instead_of_an_object_is_refused(client, survey_ready):
    assert list(refused(client, "42")) == ["non_field_errors"]
    assert list(refused(client, "null")) == ["non_field_errors"]


def test_an_empty_body_is_refused_naming_the_missing_fields(client, survey_ready):
    assert set(refused(client, b"")) == {"district", "language", "answers"}


def test_a_body_that_is_not_utf8_is_refused(client, body):
    raw = json.dumps(body, ensure_ascii=False).replace("KRG-KZB", "Қарағанды").encode("cp1251", errors="replace")
    assert refused(client, b"\xff\xfe" + raw) == {"detail": en(parsers.NOT_UTF8)}


def test_nan_and_infinity_are_not_json(client, body):
    raw = with_raw_answer(body, "NaN")
    assert refused(client, raw)["detail"].startswith("The request body is not valid JSON: ")
    raw = with_raw_answer(body, "-Infinity")
    assert refused(client, raw)["detail"].startswith("The request body is not valid JSON: ")


def test_a_number_too_large_to_be_finite_is_refused(client, body):
    raw = with_raw_answer(body, "1e400")
    assert refused(client, raw) == {"detail": en(parsers.UNSTORABLE)}


def test_an_integer_with_thousands_of_digits_is_refused(client, body):
    raw = with_raw_answer(body, "9" * 5000)
    assert refused(client, raw)["detail"].startswith("The request body is not valid JSON: ")


def test_a_nul_character_in_a_text_answer_is_refused(client, body):
    body["answers"]["unsafe_place_note"] = "near the\x00 market"
    assert refused(client, body) == {"detail": en(parsers.UNSTORABLE)}


def test_an_unpaired_surrogate_in_an_item_code_is_refused(client, body):
    raw = json.dumps(body).replace('"safe_walk_day"', '"safe_walk_day\\ud800"')
    assert refused(client, raw) == {"detail": en(parsers.UNSTORABLE)}


def test_a_paired_surrogate_is_an_emoji_and_is_stored(client, body):
    body["answers"]["unsafe_place_note"] = "темно \U0001f319"
    assert send(client, json.dumps(body)).status_code == 201  # json.dumps escapes it as \ud83c\udf19
    assert Response.objects.get().answers["unsafe_place_note"] == "темно \U0001f319"


def test_deeply_nested_json_is_refused(client, body):
    depth = 30000
    raw = json.dumps(body)[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    assert len(raw) < 64 * 1024
    assert refused(client, raw) == {"detail": en(parsers.TOO_DEEP)}


def test_a_wrong_content_type_is_refused_with_415(client, body):
    errors = refused(client, json.dumps(body), status=415, content_type="text/plain")
    assert errors == {"detail": 'Unsupported media type "text/plain" in request.'}


def test_a_form_post_is_refused_with_415(client, body):
    response = client.post(URL, {"district": "KRG-KZB"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 415
    assert Response.objects.count() == 0


# ---------------------------------------------------------------- a closed survey


def test_without_an_open_wave_the_api_answers_503_saying_the_survey_is_closed(client, body):
    Wave.objects.update(is_open=False)
    assert refused(client, body, status=503) == {"wave": [en(services.NO_OPEN_WAVE)]}


def test_without_a_published_checklist_the_api_answers_503(client, districts, wave):
    body = {"district": "KRG-KZB", "language": "ru", "answers": {"safe_walk_day": 3}}
    assert refused(client, body, status=503) == {"checklist": [en(services.NO_CHECKLIST)]}


def test_a_closed_survey_message_follows_accept_language(client, body):
    Wave.objects.update(is_open=False)
    response = client.post(URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="kk")
    assert response.json() == {"wave": ["Қазір сауалнама жабық: ашық кезең жоқ."]}
