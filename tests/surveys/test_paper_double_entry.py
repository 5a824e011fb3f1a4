"""Double data entry: two different people key each sheet; identical entries commit the
response (channel paper) through response_submit, different ones wait for the coordinator."""

import pytest

from checklist.answers import NOT_AN_OPTION, REQUIRED
from checklist.definition import definition_for
from checklist.scoring import respondent_scores
from surveys.models import Response, Wave
from surveys.paper_models import PaperEntry, Sheet
from surveys.paper_services import (
    ALREADY_COMMITTED,
    ALREADY_ENTERED_BY_YOU,
    IN_CONFLICT,
    SERIAL_CHECK_FAILED,
    SERIAL_MALFORMED,
    SERIAL_NOT_YOURS,
    SERIAL_UNKNOWN,
    SHEET_IS_VOID,
    PaperRejected,
    paper_entry_create,
    paper_sheet_void,
    sheet_for_entry,
)


@pytest.fixture
def sheet(paper_batch):
    return paper_batch.sheets.order_by("number").first()


def test_the_first_entry_is_stored_and_nothing_enters_the_reports(sheet, volunteer_a, sheet_answers):
    outcome = paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    sheet.refresh_from_db()
    assert sheet.status == Sheet.Status.ENTERED_ONCE and sheet.entry_count == 1
    assert outcome.entry.entered_by == volunteer_a and outcome.entry.source == PaperEntry.Source.KEYED
    assert not Response.objects.exists()


def test_two_identical_entries_commit_a_paper_response_of_the_batch(
    sheet, paper_batch, volunteer_a, volunteer_a2, sheet_answers, definition
):
    # The batch's wave stays the response's wave even after another wave opens.
    Wave.objects.update(is_open=False)
    Wave.objects.create(code="2021", name="2021", starts_on="2021-03-01", is_open=True)
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    outcome = paper_entry_create(sheet=sheet, user=volunteer_a2, answers=dict(sheet_answers))
    sheet.refresh_from_db()
    assert outcome.committed and sheet.status == Sheet.Status.COMMITTED
    response = sheet.response
    assert response.channel == Response.Channel.PAPER
    assert response.wave == paper_batch.wave and response.checklist == paper_batch.checklist
    assert response.district == paper_batch.district
    assert response.language == "ru" and response.is_void is False
    assert response.client_id is None  # tied to its sheet by Sheet.response, not by a key clients could send
    assert response.feeling == respondent_scores(definition, sheet_answers).feeling
    assert (sheet.items_compared, sheet.items_differing) == (len(definition.items), 0)


def test_entries_that_differ_send_the_sheet_to_reconciliation_and_not_to_the_reports(
    sheet, volunteer_a, volunteer_a2, sheet_answers
):
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    outcome = paper_entry_create(
        sheet=sheet, user=volunteer_a2, answers={**sheet_answers, "safe_walk_day": 2, "env_cctv": 5}
    )
    sheet.refresh_from_db()
    assert sheet.status == Sheet.Status.CONFLICT and sheet.response is None
    assert outcome.differing == ["safe_walk_day", "env_cctv"]
    assert sheet.items_differing == 2
    assert not Response.objects.exists()


def test_a_blank_in_one_entry_and_an_answer_in_the_other_is_a_difference(
    sheet, volunteer_a, volunteer_a2, sheet_answers
):
    without_sex = {key: value for key, value in sheet_answers.items() if key != "sex"}
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    assert paper_entry_create(sheet=sheet, user=volunteer_a2, answers=without_sex).differing == ["sex"]


def test_the_same_person_cannot_make_both_entries(sheet, volunteer_a, sheet_answers):
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    with pytest.raises(PaperRejected) as refused:
        paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    assert refused.value.errors == {"serial": [str(ALREADY_ENTERED_BY_YOU)]}
    assert sheet.entries.count() == 1


def test_a_third_entry_is_refused_whatever_its_state(sheet, volunteer_a, volunteer_a2, coordinator, sheet_answers):
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    paper_entry_create(sheet=sheet, user=volunteer_a2, answers={**sheet_answers, "sex": 2})
    with pytest.raises(PaperRejected) as refused:
        paper_entry_create(sheet=sheet, user=coordinator, answers=sheet_answers)
    assert refused.value.errors == {"serial": [str(IN_CONFLICT)]}


def test_a_committed_sheet_takes_no_more_entries(sheet, volunteer_a, volunteer_a2, coordinator, sheet_answers):
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    paper_entry_create(sheet=sheet, user=volunteer_a2, answers=sheet_answers)
    with pytest.raises(PaperRejected) as refused:
        sheet_for_entry(serial=sheet.serial, user=coordinator)
    assert refused.value.errors == {"serial": [str(ALREADY_COMMITTED)]}
    assert Response.objects.count() == 1


def test_a_void_sheet_takes_no_entries(sheet, volunteer_a, coordinator, sheet_answers):
    paper_sheet_void(sheet=sheet, user=coordinator, reason="spoiled")
    with pytest.raises(PaperRejected) as refused:
        paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    assert refused.value.errors == {"serial": [str(SHEET_IS_VOID)]}


def test_the_status_check_refuses_the_database_state_not_a_stale_copy(sheet, volunteer_a, volunteer_a2, sheet_answers):
    stale = Sheet.objects.get(pk=sheet.pk)
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    paper_entry_create(sheet=sheet, user=volunteer_a2, answers=sheet_answers)
    with pytest.raises(PaperRejected) as refused:
        paper_entry_create(sheet=stale, user=volunteer_a2, answers=sheet_answers)
    assert refused.value.errors == {"serial": [str(ALREADY_COMMITTED)]}


def test_an_answer_outside_the_options_is_refused_with_the_online_message(sheet, volunteer_a, sheet_answers):
    with pytest.raises(PaperRejected) as refused:
        paper_entry_create(sheet=sheet, user=volunteer_a, answers={**sheet_answers, "safe_walk_day": 7})
    assert refused.value.errors == {"answers": {"safe_walk_day": [str(NOT_AN_OPTION)]}}
    assert not PaperEntry.objects.exists()
    sheet.refresh_from_db()
    assert sheet.status == Sheet.Status.PRINTED


def test_a_missing_required_answer_is_refused(sheet, volunteer_a, sheet_answers):
    answers = {key: value for key, value in sheet_answers.items() if key != "pol_trust"}
    with pytest.raises(PaperRejected) as refused:
        paper_entry_create(sheet=sheet, user=volunteer_a, answers=answers)
    assert refused.value.errors == {"answers": {"pol_trust": [str(REQUIRED)]}}
    assert not PaperEntry.objects.exists()


def test_a_follow_up_answered_on_paper_although_it_does_not_apply_is_kept_and_flagged(
    sheet, volunteer_a, volunteer_a2, sheet_answers
):
    # The resident said "no" to the burglary question but also ticked "reported it: yes".
    answers = {**sheet_answers, "vic_burglary": 0, "vic_burglary_reported": 1}
    first = paper_entry_create(sheet=sheet, user=volunteer_a, answers=answers)
    assert first.entry.answers["vic_burglary_reported"] == 1
    assert first.entry.not_applicable == ["vic_burglary_reported"]
    # Both volunteers keyed the same thing, yet the coordinator must settle it first.
    second = paper_entry_create(sheet=sheet, user=volunteer_a2, answers=answers)
    assert second.differing == [] and second.not_applicable == ["vic_burglary_reported"]
    assert second.sheet.status == Sheet.Status.CONFLICT
    assert not Response.objects.exists()


def test_an_unanswerable_follow_up_value_is_still_checked_against_its_options(sheet, volunteer_a, sheet_answers):
    with pytest.raises(PaperRejected) as refused:
        paper_entry_create(sheet=sheet, user=volunteer_a, answers={**sheet_answers, "vic_burglary_reported": 5})
    assert refused.value.errors == {"answers": {"vic_burglary_reported": [str(NOT_AN_OPTION)]}}


class TestFindingTheSheetByItsSerial:
    def test_a_typo_in_the_serial_is_caught_by_the_check_character(self, sheet, volunteer_a):
        body, check = sheet.serial.rsplit("-", 1)
        typo = body[:-1] + ("1" if body[-1] != "1" else "2") + "-" + check
        with pytest.raises(PaperRejected) as refused:
            sheet_for_entry(serial=typo, user=volunteer_a)
        assert refused.value.errors == {"serial": [str(SERIAL_CHECK_FAILED)]}

    def test_a_serial_of_the_wrong_shape_is_refused(self, sheet, volunteer_a):
        with pytest.raises(PaperRejected) as refused:
            sheet_for_entry(serial="123", user=volunteer_a)
        assert refused.value.errors == {"serial": [str(SERIAL_MALFORMED)]}

    def test_a_well_formed_serial_that_was_never_printed_is_unknown(self, sheet, volunteer_a):
        from surveys.serials import make_serial

        with pytest.raises(PaperRejected) as refused:
            sheet_for_entry(serial=make_serial("KRG-KZB", "2020", 999), user=volunteer_a)
        assert refused.value.errors == {"serial": [str(SERIAL_UNKNOWN)]}

    def test_a_sheet_of_another_district_is_forbidden(self, sheet, volunteer_b, sheet_answers):
        with pytest.raises(PaperRejected) as refused:
            sheet_for_entry(serial=sheet.serial, user=volunteer_b)
        assert refused.value.forbidden and refused.value.errors == {"serial": [str(SERIAL_NOT_YOURS)]}
        with pytest.raises(PaperRejected) as refused:
            paper_entry_create(sheet=sheet, user=volunteer_b, answers=sheet_answers)
        assert refused.value.forbidden
        assert not PaperEntry.objects.exists()

    def test_a_scanned_serial_in_lower_case_with_spaces_is_found(self, sheet, volunteer_a):
        assert sheet_for_entry(serial=f"  {sheet.serial.lower()} ", user=volunteer_a) == sheet


def test_a_new_checklist_version_does_not_change_how_a_batch_is_validated(paper_batch, checklist):
    assert definition_for(paper_batch.checklist).version == checklist.version
