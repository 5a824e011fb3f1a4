"""POST /api/v1/responses/: a valid response is stored once, scored, and says nothing identifying."""

import uuid

import pytest
from django.test import Client

from checklist.answers import NOT_AN_OPTION
from checklist.scoring import respondent_scores
from surveys.models import Response

URL = "/api/v1/responses/"


def post(client, body, **headers):
    return client.post(URL, body, content_type="application/json", **headers)


@pytest.fixture
def body(survey_ready, valid_answers):
    return {"district": "KRG-KZB", "language": "kk", "answers": valid_answers}


def test_a_valid_response_is_stored_and_answered_with_201(client, body):
    response = post(client, body)
    assert response.status_code == 201
    stored = Response.objects.get()
    assert (stored.district.code, stored.language, stored.channel) == ("KRG-KZB", "kk", "online")
    assert stored.answers == body["answers"]


def test_the_answer_gives_district_wave_version_language_and_the_stored_scores(client, body, definition):
    data = post(client, body).json()
    stored = Response.objects.get()
    expected = respondent_scores(definition, body["answers"]).as_dict()
    assert data == {
        "client_id": None,
        "district": "KRG-KZB",
        "wave": "2020",
        "checklist": 1,
        "language": "kk",
        "scores": expected,
    }
    assert data["scores"]["feeling"] == stored.feeling
    assert data["scores"]["sdg_safe"] is stored.sdg_safe


def test_the_answer_holds_nothing_that_identifies_the_response_or_the_resident(client, body):
    data = post(client, body, HTTP_USER_AGENT="Mozilla/5.0 test-agent", REMOTE_ADDR="203.0.113.7").json()
    stored = Response.objects.get()
    assert "id" not in data and "pk" not in data and "submitted_on" not in data
    text = str(data) + str(stored.answers)
    assert "203.0.113.7" not in text and "test-agent" not in text
    assert set(data) == {"client_id", "district", "wave", "checklist", "language", "scores"}


def test_after_a_submission_no_table_or_cache_entry_holds_the_address_or_user_agent(client, body):
    import pickle

    from django.core.cache import cache
    from django.db import connection

    assert post(client, body, HTTP_USER_AGENT="Mozilla/5.0 test-agent", REMOTE_ADDR="203.0.113.7").status_code == 201
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            rows = repr(cursor.fetchall())
            assert "203.0.113.7" not in rows and "test-agent" not in rows, table
    store = cache._cache  # LocMemCache: key -> pickled value
    assert store, "the rate limiter counted the submission in the cache"
    for key, value in store.items():
        text = key + repr(pickle.loads(value))
        assert "203.0.113.7" not in text and "test-agent" not in text


def test_the_response_goes_to_the_open_wave_with_the_published_checklist(client, body, survey_ready):
    post(client, body)
    stored = Response.objects.get()
    assert stored.wave == survey_ready["wave"]
    assert stored.checklist == survey_ready["checklist"]


def test_the_stored_answers_are_the_cleaned_ones(client, body):
    body["answers"] |= {"unsafe_place_type": 2, "unsafe_bus_route": "  12а ", "safe_walk_day": 3.0}
    assert post(client, body).status_code == 201
    stored = Response.objects.get().answers
    assert stored["unsafe_bus_route"] == "12A"  # trimmed, upper-case, Cyrillic look-alike in Latin
    assert stored["safe_walk_day"] == 3 and isinstance(stored["safe_walk_day"], int)


def test_a_client_id_is_stored_and_given_back(client, body):
    client_id = uuid.uuid4()
    data = post(client, body | {"client_id": str(client_id)}).json()
    assert data["client_id"] == str(client_id)
    assert Response.objects.get().client_id == client_id


def test_a_repeated_client_id_returns_the_stored_response_with_200_and_stores_nothing(client, body):
    body["client_id"] = str(uuid.uuid4())
    first = post(client, body)
    again = post(client, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Response.objects.count() == 1


def test_a_repeated_client_id_with_different_answers_is_refused_with_409_and_nothing_of_the_first(client, body):
    # Was: 200 with the first response, which let anyone holding a key read what it names (issue 9).
    body["client_id"] = str(uuid.uuid4())
    post(client, body)
    changed = body | {"language": "en", "answers": body["answers"] | {"safe_walk_day": 1}}
    again = post(client, changed)
    assert again.status_code == 409
    assert set(again.json()) == {"detail"}
    assert Response.objects.get().answers["safe_walk_day"] == body["answers"]["safe_walk_day"]


def test_a_repeated_client_id_returns_the_stored_response_even_after_the_wave_closed(client, body, survey_ready):
    body["client_id"] = str(uuid.uuid4())
    first = post(client, body).json()
    survey_ready["wave"].is_open = False
    survey_ready["wave"].save()
    again = post(client, body)
    assert again.status_code == 200
    assert again.json() == first


@pytest.mark.parametrize("value", [True, {"value": 2}, ["2"], [[2]]], ids=repr)
def test_a_repeated_client_id_with_an_answer_of_no_documented_type_is_refused_with_400(client, body, value):
    # A retry is the same request again, so it is well-formed; this one is not, whatever its client_id.
    body["client_id"] = str(uuid.uuid4())
    first = post(client, body).json()
    again = post(client, body | {"answers": body["answers"] | {"safe_walk_day": value}})
    assert again.status_code == 400 and again.json() == {"answers": {"safe_walk_day": [str(NOT_AN_OPTION)]}}
    assert post(client, body).json() == first


def test_null_an_empty_string_and_an_empty_list_are_answers_left_out(client, body):
    body["answers"] |= {"unsafe_place_note": None, "unsafe_bus_route": "", "safe_walk_dark_would": []}
    assert post(client, body).status_code == 201
    stored = Response.objects.get().answers
    assert not {"unsafe_place_note", "unsafe_bus_route", "safe_walk_dark_would"} & set(stored)


@pytest.mark.django_db(transaction=True)
def test_a_repeated_client_id_outside_any_transaction_stores_nothing_new(client, body):
    # Outside a test transaction the INSERT runs on its own in autocommit, as in production.
    body["client_id"] = str(uuid.uuid4())
    assert [post(client, body).status_code for _ in range(3)] == [201, 200, 200]
    assert Response.objects.count() == 1
    assert post(client, body | {"client_id": str(uuid.uuid4())}).status_code == 201


def test_two_responses_without_client_ids_are_two_responses(client, body):
    post(client, body)
    post(client, body)
    assert Response.objects.count() == 2


def test_a_browser_post_needs_no_csrf_token(body):
    browser = Client(enforce_csrf_checks=True)
    assert post(browser, body).status_code == 201


def test_a_logged_in_staff_member_posts_as_an_anonymous_resident_without_csrf(login, volunteer_a, body):
    client = login(volunteer_a)
    client.handler.enforce_csrf_checks = True
    assert post(client, body).status_code == 201


def test_the_response_may_be_sent_with_a_charset_in_the_content_type(client, body):
    import json

    response = client.post(URL, json.dumps(body), content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_a_submission_costs_a_few_queries_once_the_present_is_known(client, body, django_assert_max_num_queries):
    post(client, body)  # reads the checklist, wave and districts into the per-process cache
    # The INSERT alone (in a test's transaction, inside a savepoint): no lookup before it.
    with django_assert_max_num_queries(3):
        assert post(client, body | {"client_id": str(uuid.uuid4())}).status_code == 201


def test_only_post_is_allowed(client, body):
    assert client.get(URL).status_code == 405
    assert client.delete(URL).status_code == 405
