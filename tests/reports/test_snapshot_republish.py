"""reports.snapshots.snapshot_make: the republish rule of METHOD.md §4.10, unit by unit.

A unit (the region, each district) is published again when it was never published in the
wave, or once at least REPORT_MIN_CELL responses were added to, removed from or corrected in
its input since its last publication; otherwise its last publication is carried forward
unchanged. The region's input is every district's.
"""

import pytest
from django.conf import settings

from reports.models import Snapshot
from reports.snapshots import snapshot_make
from surveys.models import Response
from surveys.paper_services import batch_create, paper_entry_create, paper_response_edit
from tests.conftest import complete_answers
from tests.reports.seeding import seed_responses

NIGHTLY = Snapshot.Trigger.NIGHTLY


@pytest.fixture
def add(survey_ready, definition):
    """add(code, count): `count` new responses in district `code`."""
    seeds = iter(range(100, 10_000))

    def _add(code, count):
        seed_responses(definition=definition, checklist=survey_ready["checklist"], wave=survey_ready["wave"],
                       district=survey_ready["districts"][code], count=count, safety=0.5, seed=next(seeds))

    return _add


@pytest.fixture
def first(add, wave):
    """15 responses in district A and in district B, published."""
    add("KRG-KZB", 15)
    add("KRG-TEM", 15)
    return snapshot_make(wave=wave, trigger=NIGHTLY)


def unit(snapshot, code):
    return snapshot.results["units"][code]


def test_the_first_snapshot_of_a_wave_publishes_every_unit(first):
    units = first.results["units"]
    assert set(first.republished) == set(units) and "region" in units and len(units) == 15
    assert all(entry["publication"]["snapshot"] == first.pk for entry in units.values())
    assert unit(first, "KRG-KZB")["publication"]["responses"] == 15
    assert unit(first, "region")["publication"]["responses"] == 30
    # Districts without responses are published too: suppressed (METHOD.md §4.8 still applies).
    assert unit(first, "KRG-SHE")["figures"]["suppressed"] is True


def test_ten_new_responses_in_a_district_republish_it_and_the_region_but_not_another_district(first, add, wave):
    add("KRG-KZB", settings.REPORT_MIN_CELL)
    second = snapshot_make(wave=wave, trigger=NIGHTLY)
    assert sorted(second.republished) == ["KRG-KZB", "region"]
    assert unit(second, "KRG-KZB")["figures"]["n"] == 25
    assert unit(second, "KRG-KZB")["publication"]["snapshot"] == second.pk
    assert unit(second, "KRG-TEM") == unit(first, "KRG-TEM")  # carried forward, record and all
    assert unit(second, "KRG-TEM")["publication"]["snapshot"] == first.pk


def test_changes_spread_over_districts_republish_the_region_alone(first, add, wave):
    """Nine in A and one in B: neither district reaches ten, the region does."""
    add("KRG-KZB", settings.REPORT_MIN_CELL - 1)
    add("KRG-TEM", 1)
    second = snapshot_make(wave=wave, trigger=NIGHTLY)
    assert second.republished == ["region"]
    assert unit(second, "region")["figures"]["n"] == 30 + settings.REPORT_MIN_CELL
    assert unit(second, "KRG-KZB") == unit(first, "KRG-KZB") and unit(second, "KRG-TEM") == unit(first, "KRG-TEM")


def test_changes_add_up_over_snapshots_until_they_reach_ten(first, add, wave):
    for _ in range(3):
        add("KRG-KZB", 3)
        assert snapshot_make(wave=wave, trigger=NIGHTLY).republished == []
    add("KRG-KZB", 1)
    assert sorted(snapshot_make(wave=wave, trigger=NIGHTLY).republished) == ["KRG-KZB", "region"]


def test_a_deleted_response_counts_as_removed(first, add, wave):
    """The admin can delete a response (voiding a paper sheet is the other way)."""
    add("KRG-KZB", settings.REPORT_MIN_CELL - 1)
    Response.objects.filter(district__code="KRG-KZB").order_by("pk").first().delete()
    second = snapshot_make(wave=wave, trigger=NIGHTLY)
    assert sorted(second.republished) == ["KRG-KZB", "region"]
    assert unit(second, "KRG-KZB")["figures"]["n"] == 15 + settings.REPORT_MIN_CELL - 1 - 1


@pytest.fixture
def committed(survey_ready, district_a, coordinator, volunteer_a, volunteer_a2, definition):
    """One committed paper sheet in district A and its answers."""
    batch = batch_create(district=district_a, wave=survey_ready["wave"], language="ru", size=1,
                         created_by=coordinator, render_pdf=False)
    answers = complete_answers(definition, vic_burglary=0, vic_transport_theft=0, vic_fraud=0,
                               vic_assault_hooliganism=0, age_group=2, sex=1, years_in_area=1)
    sheet = batch.sheets.get()
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=answers)
    paper_entry_create(sheet=sheet, user=volunteer_a2, answers=answers)
    sheet.refresh_from_db()
    return sheet, answers


@pytest.mark.parametrize(("item", "value", "counts"), [("sex", 2, True), ("years_in_area", 3, False)])
def test_a_correction_counts_when_some_figure_reads_the_item(
    add, wave, committed, coordinator, item, value, counts
):
    """Sex weights every figure; how long one has lived in the area is read by none."""
    sheet, answers = committed
    add("KRG-KZB", 15)
    add("KRG-TEM", 15)
    snapshot_make(wave=wave, trigger=NIGHTLY)
    add("KRG-KZB", settings.REPORT_MIN_CELL - 1)
    paper_response_edit(sheet=sheet, user=coordinator, answers={**answers, item: value}, reason="misread")
    second = snapshot_make(wave=wave, trigger=NIGHTLY)
    assert ("KRG-KZB" in second.republished) is counts


def test_two_corrections_of_one_sheet_count_as_one_change(add, wave, committed, coordinator):
    sheet, answers = committed
    add("KRG-KZB", 15)
    snapshot_make(wave=wave, trigger=NIGHTLY)
    add("KRG-KZB", settings.REPORT_MIN_CELL - 2)
    paper_response_edit(sheet=sheet, user=coordinator, answers={**answers, "sex": 2}, reason="misread")
    paper_response_edit(sheet=sheet, user=coordinator, answers={**answers, "sex": 2, "age_group": 3}, reason="again")
    assert "KRG-KZB" not in snapshot_make(wave=wave, trigger=NIGHTLY).republished  # 8 + 1 person


def test_running_it_again_without_a_change_returns_the_same_snapshot(first, wave):
    assert snapshot_make(wave=wave, trigger=NIGHTLY).pk == first.pk
    assert Snapshot.objects.count() == 1


def test_without_a_response_changed_new_margins_republish_the_figures_they_change(first, districts, wave):
    """The same respondents, weighted anew: the difference tells nothing about any of them."""
    district = districts["KRG-KZB"]
    district.margins = {"age_group": {"1": 0.4, "2": 0.3, "3": 0.2, "4": 0.1}, "sex": {"1": 0.5, "2": 0.5}}
    district.save()
    second = snapshot_make(wave=wave, trigger=NIGHTLY)
    assert "KRG-KZB" in second.republished and "KRG-TEM" not in second.republished
    assert unit(second, "KRG-KZB")["figures"]["n"] == 15


def test_a_new_threshold_publishes_every_unit_again(first, wave, settings):
    settings.REPORT_MIN_CELL = 16
    second = snapshot_make(wave=wave, trigger=NIGHTLY)
    assert set(second.republished) == set(second.results["units"])
    assert second.results["min_cell"] == 16 and unit(second, "KRG-KZB")["figures"]["suppressed"] is True


def test_a_response_to_an_earlier_wave_counts_for_the_later_waves_figures(add, wave, survey_ready, definition):
    """The trend and the change read the earlier waves: they are part of a unit's input."""
    import datetime

    from surveys.models import Wave

    earlier = Wave.objects.create(code="2019", name="2019", starts_on=datetime.date(2019, 3, 1))

    def add_earlier(count, seed):
        seed_responses(definition=definition, checklist=survey_ready["checklist"], wave=earlier,
                       district=survey_ready["districts"]["KRG-KZB"], count=count, safety=0.5, seed=seed)

    add_earlier(12, 7)
    add("KRG-KZB", 15)
    add("KRG-TEM", 15)
    snapshot_make(wave=wave, trigger=NIGHTLY)
    add_earlier(settings.REPORT_MIN_CELL - 1, 8)
    assert snapshot_make(wave=wave, trigger=NIGHTLY).republished == []
    add_earlier(1, 9)
    second = snapshot_make(wave=wave, trigger=NIGHTLY)
    assert sorted(second.republished) == ["KRG-KZB", "region"]
    points = unit(second, "KRG-KZB")["trend"]
    assert [(point["wave"], point["n"]) for point in points] == [("2019", 12 + settings.REPORT_MIN_CELL), ("2020", 15)]


def test_a_wave_without_responses_is_published_with_every_unit_suppressed(survey_ready, wave):
    snapshot = snapshot_make(wave=wave, trigger=NIGHTLY)
    units = snapshot.results["units"]
    assert len(units) == 15 and all(unit["figures"]["suppressed"] for unit in units.values())
    assert all(unit["publication"]["responses"] == 0 for unit in units.values())


def test_a_correction_undone_is_no_change(add, wave, committed, coordinator):
    """Otherwise a coordinator could correct and restore nine sheets, let one resident
    answer, and read that resident's answers from the next publication."""
    sheet, answers = committed
    add("KRG-KZB", 15)
    snapshot_make(wave=wave, trigger=NIGHTLY)
    paper_response_edit(sheet=sheet, user=coordinator, answers={**answers, "sex": 2}, reason="misread")
    paper_response_edit(sheet=sheet, user=coordinator, answers=answers, reason="it was right")
    add("KRG-KZB", settings.REPORT_MIN_CELL - 1)
    assert "KRG-KZB" not in snapshot_make(wave=wave, trigger=NIGHTLY).republished
    add("KRG-KZB", 1)
    assert "KRG-KZB" in snapshot_make(wave=wave, trigger=NIGHTLY).republished
