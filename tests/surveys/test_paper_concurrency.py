"""Two volunteers saving the same sheet at the same moment: the row lock makes one of them
the first entry and the other the second, so the sheet is compared and committed once."""

import threading

import pytest
from django.db import connection

from surveys.models import Response
from surveys.paper_models import Sheet
from surveys.paper_services import paper_entry_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_simultaneous_entries_of_one_sheet_are_compared_and_committed_once(
    paper_batch, volunteer_a, volunteer_a2, sheet_answers
):
    sheet = paper_batch.sheets.order_by("number").first()
    start = threading.Barrier(2)
    errors = []

    def key(user):
        try:
            start.wait()
            paper_entry_create(sheet=sheet, user=user, answers=sheet_answers)
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=key, args=(user,)) for user in (volunteer_a, volunteer_a2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sheet.refresh_from_db()
    assert (sheet.entry_count, sheet.status) == (2, Sheet.Status.COMMITTED)
    assert sheet.entries.count() == 2 and Response.objects.count() == 1
