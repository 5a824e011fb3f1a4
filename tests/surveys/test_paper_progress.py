"""Coordinators see progress per district and per volunteer, with the discordance rate,
counted in SQL: the number of queries does not grow with districts, batches or people."""

import pytest
from django.urls import reverse

from surveys import roles
from surveys.paper_selectors import district_progress, volunteer_progress
from surveys.paper_services import batch_create, paper_entry_create, paper_sheet_void
from tests.conftest import make_staff


@pytest.fixture
def keyed_batch(paper_batch, volunteer_a, volunteer_a2, coordinator, sheet_answers):
    """Sheet 1 committed, sheet 2 in conflict (one item of 36 differs), sheet 3 entered once."""
    one, two, three = paper_batch.sheets.order_by("number")
    for sheet in (one, two):
        paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    paper_entry_create(sheet=one, user=volunteer_a2, answers=sheet_answers)
    paper_entry_create(sheet=two, user=volunteer_a2, answers={**sheet_answers, "env_lighting": 5})
    paper_entry_create(sheet=three, user=volunteer_a2, answers=sheet_answers)
    return paper_batch


def test_district_progress_counts_sheets_by_state_and_responses_in_reports(keyed_batch, district_a, wave):
    [row] = district_progress([district_a], wave)
    assert (row.printed, row.entered_once, row.entered_twice, row.conflict, row.committed, row.void) == (
        3,
        1,
        2,
        1,
        1,
        0,
    )
    assert (row.paper_in_reports, row.online_in_reports) == (1, 0)


def test_volunteer_progress_gives_each_persons_entries_and_discordance(keyed_batch, district_a, wave, definition):
    rows = {row.username: row for row in volunteer_progress([district_a], wave)}
    a, a2 = rows["volunteer_a"], rows["volunteer_a2"]
    assert (a.entries, a.waiting_for_second, a.entered_twice, a.conflict, a.committed) == (2, 0, 2, 1, 1)
    assert (a2.entries, a2.waiting_for_second, a2.entered_twice) == (3, 1, 2)
    items = len(definition.items)
    assert a.items_compared == 2 * items and a.items_differing == 1
    assert a.discordance == pytest.approx(1 / (2 * items))
    assert a2.discordance == a.discordance


def test_a_void_sheet_is_counted_as_void(keyed_batch, district_a, wave, coordinator):
    paper_sheet_void(sheet=keyed_batch.sheets.order_by("number").first(), user=coordinator, reason="spoiled")
    [row] = district_progress([district_a], wave)
    assert (row.void, row.committed, row.paper_in_reports) == (1, 0, 0)
    assert volunteer_progress([district_a], wave)[0].void == 1


def test_the_progress_page_shows_both_tables(login, coordinator, keyed_batch):
    page = login(coordinator).get(reverse("paper:progress"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-district="KRG-KZB"' in html and 'data-volunteer="volunteer_a2"' in html
    assert "1,4" in html or "1.4" in html  # 1 of 72 items: 1.4 %


def test_the_progress_page_costs_the_same_queries_for_more_districts_batches_and_people(
    login, keyed_batch, district_b, wave, sheet_answers, django_assert_max_num_queries
):
    boss = make_staff("boss", roles.COORDINATOR, [keyed_batch.district, district_b])
    client = login(boss)
    client.get(reverse("paper:progress"))
    with django_assert_max_num_queries(12) as first:
        client.get(reverse("paper:progress"))
    baseline = len(first.captured_queries)
    other = batch_create(district=district_b, wave=wave, language="ru", size=4, created_by=boss, render_pdf=False)
    for index, sheet in enumerate(other.sheets.all()):
        keyer = make_staff(f"keyer{index}", roles.VOLUNTEER, [district_b])
        paper_entry_create(sheet=sheet, user=keyer, answers=sheet_answers)
    with django_assert_max_num_queries(baseline):
        page = client.get(reverse("paper:progress"))
    assert 'data-district="KRG-TEM"' in page.content.decode() and "keyer3" in page.content.decode()


def test_volunteers_and_analysts_cannot_see_progress(login, volunteer_a, analyst, keyed_batch):
    assert login(volunteer_a).get(reverse("paper:progress")).status_code == 403
    assert login(analyst).get(reverse("paper:progress")).status_code == 403
