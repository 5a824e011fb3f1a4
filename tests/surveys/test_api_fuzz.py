"""Arbitrary bodies never make the response API fail: a 4xx or a stored response, never a 5xx,
and nothing stored unless the answer is 201."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checklist.definition import definition_for
from checklist.loading import checklist_load
from checklist.models import Checklist
from surveys.models import Response

from .test_api_bad_answers import CHECKLIST_V2

URL = "/api/v1/responses/"
EXPECTED = {200, 201, 400, 415, 503}
CODES = [
    "safe_walk_dark",
    "safe_walk_dark_would",
    "safe_walk_day",
    "vic_burglary",
    "vic_burglary_reported",
    "unsafe_place_type",
    "unsafe_bus_route",
    "unsafe_place_note",
    "age_group",
]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
answers = st.dictionaries(st.sampled_from(CODES) | st.text(max_size=8), st.integers(-1, 10) | json_values, max_size=8)
bodies = st.fixed_dictionaries(
    {
        "district": st.sampled_from(["KRG-KZB", "KRG-TEM", "KRG", "KRG-KAR", "nowhere"]) | json_values,
        "language": st.sampled_from(["ru", "kk", "en", "de"]) | json_values,
        "answers": answers | json_values,
    },
    optional={"client_id": st.uuids().map(str) | json_values},
)


@pytest.fixture
def ready(survey_ready, settings):
    settings.SURVEY_RATE_LIMIT = 0
    return survey_ready


def check(client, raw: bytes, content_type="application/json"):
    before = Response.objects.count()
    response = client.generic("POST", URL, raw, content_type=content_type, HTTP_ACCEPT_LANGUAGE="kk")
    assert response.status_code in EXPECTED, (raw[:300], response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    json.loads(response.content)
    stored = Response.objects.count() - before
    assert stored == (1 if response.status_code == 201 else 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_no_json_body_makes_the_api_fail(client, ready, body):
    check(client, json.dumps(body).encode())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_no_byte_string_makes_the_api_fail(client, ready, raw):
    check(client, raw)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    content_type=st.sampled_from(
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""]
    ),
)
def test_no_content_type_makes_the_api_fail(client, ready, body, content_type):
    check(client, json.dumps(body).encode(), content_type)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_well_formed_responses_with_random_answers_are_stored_or_refused_cleanly(client, ready, data):
    definition = definition_for(ready["checklist"])
    chosen = {}
    for item in definition.items:
        if data.draw(st.booleans()):
            options = [option.value for option in item.options] or [0]
            chosen[item.code] = data.draw(st.sampled_from(options) | st.text(max_size=12) | st.integers())
    check(client, json.dumps({"district": "KRG-KZB", "language": "ru", "answers": chosen}).encode())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values | st.integers() | st.floats(allow_nan=False))
def test_any_value_for_a_number_or_multiple_choice_item_is_stored_or_refused_cleanly(client, ready, value):
    if not Checklist.objects.filter(version=2).exists():
        checklist_load(text=CHECKLIST_V2)
    body = {
        "district": "KRG-KZB",
        "language": "en",
        "answers": {"safe_walk_day": 2, "household_size": value, "transport_used": value},
    }
    check(client, json.dumps(body).encode())
