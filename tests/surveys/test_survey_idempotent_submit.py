"""A double click or a page sent again stores one response, and shows the thanks each time."""

import pytest

from surveys.models import Response

pytestmark = pytest.mark.django_db

FORM = "/survey/KRG-KZB/questions/"


def test_a_valid_response_is_stored_and_the_browser_is_sent_to_the_thanks(fill_in, survey_ready):
    page = fill_in()
    assert page.status_code == 302
    assert page["Location"] == "/survey/thanks/"
    assert Response.objects.count() == 1


def test_the_same_page_posted_twice_stores_one_response(
    client, survey_ready, definition, complete_answers, client_id_of
):
    token = client_id_of(client.get(FORM).content.decode())
    data = complete_answers() | {"client_id": token, "version": str(definition.version)}
    first = client.post(FORM, data)
    second = client.post(FORM, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == "/survey/thanks/"
    assert Response.objects.count() == 1
    assert str(Response.objects.get().client_id) == token


def test_a_second_copy_counts_once_against_the_rate_limit(
    client, survey_ready, definition, settings, complete_answers, client_id_of
):
    settings.SURVEY_RATE_LIMIT = 1
    token = client_id_of(client.get(FORM).content.decode())
    data = complete_answers() | {"client_id": token, "version": str(definition.version)}
    assert client.post(FORM, data).status_code == 302
    # The limit is now reached, but this is the same sheet: thanks again, not "too many".
    again = client.post(FORM, data)
    assert again.status_code == 302
    assert again["Location"] == "/survey/thanks/"


def test_a_mangled_token_still_stores_the_response_once(client, survey_ready, definition, complete_answers):
    data = complete_answers() | {"client_id": "not-a-uuid", "version": str(definition.version)}
    assert client.post(FORM, data).status_code == 302
    assert Response.objects.count() == 1
    assert Response.objects.get().client_id is not None
