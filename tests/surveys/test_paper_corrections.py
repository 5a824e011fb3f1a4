"""After commit: coordinators correct answers with a reason, every change kept (who, when,
old value, new value) and shown; voiding keeps the sheet, out of reports. Online responses
never get a history row or a time finer than the day."""

import pytest
from django.urls import reverse

from surveys.models import Response
from surveys.paper_models import Sheet, SheetChange
from surveys.paper_selectors import district_progress
from surveys.paper_services import (
    ALREADY_VOID,
    NOTHING_CHANGED,
    REASON_REQUIRED,
    PaperRejected,
    paper_entry_create,
    paper_response_edit,
    paper_sheet_void,
)
from surveys.services import response_submit


@pytest.fixture
def committed(paper_batch, volunteer_a, volunteer_a2, sheet_answers):
    sheet = paper_batch.sheets.order_by("number").first()
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    paper_entry_create(sheet=sheet, user=volunteer_a2, answers=sheet_answers)
    sheet.refresh_from_db()
    assert sheet.status == Sheet.Status.COMMITTED
    return sheet


def test_a_correction_changes_the_answers_and_the_scores(committed, coordinator, sheet_answers):
    before = committed.response.feeling
    changes = paper_response_edit(
        sheet=committed, user=coordinator, answers={**sheet_answers, "safe_walk_day": 1}, reason="misread the tick"
    )
    committed.response.refresh_from_db()
    assert committed.response.answers["safe_walk_day"] == 1
    assert committed.response.feeling < before
    assert [(c.item_code, c.old_value, c.new_value, c.reason) for c in changes] == [
        ("safe_walk_day", sheet_answers["safe_walk_day"], 1, "misread the tick")
    ]


def test_a_correction_needs_a_reason(committed, coordinator, sheet_answers):
    with pytest.raises(PaperRejected) as refused:
        paper_response_edit(sheet=committed, user=coordinator, answers={**sheet_answers, "sex": 2}, reason="  ")
    assert refused.value.errors == {"reason": [str(REASON_REQUIRED)]}
    assert not SheetChange.objects.exists()


def test_a_correction_that_changes_nothing_is_refused(committed, coordinator, sheet_answers):
    with pytest.raises(PaperRejected) as refused:
        paper_response_edit(sheet=committed, user=coordinator, answers=sheet_answers, reason="looked again")
    assert refused.value.errors == {"__all__": [str(NOTHING_CHANGED)]}


def test_volunteers_cannot_correct_committed_sheets(committed, volunteer_a, sheet_answers, login):
    with pytest.raises(PaperRejected) as refused:
        paper_response_edit(sheet=committed, user=volunteer_a, answers={**sheet_answers, "sex": 2}, reason="x")
    assert refused.value.forbidden
    assert login(volunteer_a).get(reverse("paper:sheet_edit", args=[committed.serial])).status_code == 403


def test_the_history_shows_who_when_old_and_new_value(committed, coordinator, sheet_answers, login):
    client = login(coordinator)
    form = client.get(reverse("paper:sheet_edit", args=[committed.serial])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {"sex": "2", "reason": "the paper says male"}
    assert client.post(reverse("paper:sheet_edit", args=[committed.serial]), data).status_code == 302
    page = client.get(reverse("paper:sheet", args=[committed.serial])).content.decode()
    change = SheetChange.objects.get()
    assert (change.changed_by, change.item_code, change.old_value, change.new_value) == (coordinator, "sex", 1, 2)
    assert "coordinator" in page and "the paper says male" in page
    assert "1 · Женский" in page and "2 · Мужской" in page
    assert change.changed_at is not None


def test_voiding_a_committed_sheet_keeps_it_and_takes_its_response_out_of_reports(committed, coordinator, wave):
    district = committed.batch.district
    assert district_progress([district], wave)[0].paper_in_reports == 1
    paper_sheet_void(sheet=committed, user=coordinator, reason="duplicate interview")
    committed.refresh_from_db()
    assert committed.status == Sheet.Status.VOID and committed.void_reason == "duplicate interview"
    assert committed.response.is_void is True and Response.objects.count() == 1
    row = district_progress([district], wave)[0]
    assert (row.void, row.committed, row.paper_in_reports) == (1, 0, 0)
    change = SheetChange.objects.get(action=SheetChange.Action.VOID)
    assert (change.old_value, change.new_value, change.reason) == ("committed", "void", "duplicate interview")


def test_a_sheet_can_be_voided_before_it_is_keyed_and_only_once(paper_batch, coordinator):
    sheet = paper_batch.sheets.first()
    with pytest.raises(PaperRejected) as refused:
        paper_sheet_void(sheet=sheet, user=coordinator, reason="")
    assert refused.value.errors == {"reason": [str(REASON_REQUIRED)]}
    paper_sheet_void(sheet=sheet, user=coordinator, reason="spoiled by rain")
    with pytest.raises(PaperRejected) as refused:
        paper_sheet_void(sheet=sheet, user=coordinator, reason="again")
    assert refused.value.errors == {"__all__": [str(ALREADY_VOID)]}


def test_voiding_through_the_sheet_page(committed, coordinator, login):
    client = login(coordinator)
    response = client.post(reverse("paper:sheet_void", args=[committed.serial]), {"reason": "spoiled"}, follow=True)
    assert response.status_code == 200
    committed.refresh_from_db()
    assert committed.status == Sheet.Status.VOID


def test_an_online_response_gets_no_history_and_no_time_finer_than_the_day(survey_ready, district_a, sheet_answers):
    response, created = response_submit(district=district_a, language="ru", answers=sheet_answers)
    assert created
    assert not SheetChange.objects.exists()
    # No audit-history machinery is attached to responses: simple_history would add a
    # `history` manager and a table with a timestamp for every online submission.
    assert not hasattr(Response, "history")
    stamps = [f.name for f in Response._meta.get_fields() if f.get_internal_type() in ("DateTimeField", "TimeField")]
    assert stamps == []
