"""The resident form's rate limit holds when many sheets arrive at once: each request takes one
of the hour's submissions before it stores anything (and gives it back if it stores nothing),
so 16 forms sent together when one submission is left store exactly one (issue 9, item 8:
19 sequential posts and 16 at once stored 21 against a limit of 20)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from surveys import views
from surveys.models import Response

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FORM = "/survey/KRG-KZB/questions/"
ADDRESS = "203.0.113.99"
AT_ONCE = 16


def test_sixteen_forms_sent_at_once_with_one_submission_left_store_one(
    fill_in, survey_ready, definition, settings, complete_answers, client_id_of, monkeypatch
):
    settings.SURVEY_RATE_LIMIT = 20
    for _ in range(19):
        assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302
    residents = [Client(REMOTE_ADDR=ADDRESS) for _ in range(AT_ONCE)]
    forms = [
        complete_answers()
        | {"client_id": client_id_of(resident.get(FORM).content.decode()), "version": str(definition.version)}
        for resident in residents
    ]

    # Widen the window the race needs: every request that got past the limit waits (up to 2 s)
    # until the others got past it too, before it stores its response.
    store = views.response_submit
    past_the_limit = threading.Barrier(AT_ONCE, timeout=2)

    def response_submit_after_the_others(**kwargs):
        try:
            past_the_limit.wait()
        except threading.BrokenBarrierError:
            pass
        return store(**kwargs)

    monkeypatch.setattr(views, "response_submit", response_submit_after_the_others)
    start = threading.Barrier(AT_ONCE)
    statuses, errors = [], []

    def send(resident, form):
        try:
            start.wait()
            statuses.append(resident.post(FORM, form).status_code)
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=pair) for pair in zip(residents, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Response.objects.count() == 20
    assert sorted(statuses) == [302] + [429] * (AT_ONCE - 1)
