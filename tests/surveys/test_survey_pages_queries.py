"""The resident's pages read the open wave, the checklist and the districts from the
per-process cache (surveys/current.py), as the API does: no query for them on each page."""

import pytest

from surveys.models import Response

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/survey/KRG-KZB/", "/survey/krg-kzb/questions/", "/survey/thanks/"])
def test_a_page_of_the_open_survey_asks_the_database_nothing(client, survey_ready, django_assert_num_queries, url):
    client.get("/survey/KRG-KZB/")  # the first page of this process reads them
    with django_assert_num_queries(0):
        page = client.get(url)
    assert page.status_code in (200, 301, 302)


def test_sending_the_form_costs_only_the_insert(client, survey_ready, complete_answers, django_assert_num_queries):
    client.get("/survey/KRG-KZB/")
    # The INSERT, in a savepoint here only because the test runs inside a transaction. A page
    # sent again is found by the INSERT's unique client_id, as in the API: no query before it.
    with django_assert_num_queries(3):
        page = client.post("/survey/KRG-KZB/questions/", complete_answers() | {"version": "1"})
    assert page.status_code == 302
    assert Response.objects.count() == 1
