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


def test_sending_the_form_costs_the_repeat_check_and_the_insert(
    client, survey_ready, complete_answers, django_assert_num_queries
):
    client.get("/survey/KRG-KZB/")
    # Was this page stored already? Then the INSERT, in a savepoint here only because the
    # test runs inside a transaction.
    with django_assert_num_queries(4):
        page = client.post("/survey/KRG-KZB/questions/", complete_answers() | {"version": "1"})
    assert page.status_code == 302
    assert Response.objects.count() == 1
