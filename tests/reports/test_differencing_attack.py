"""The differencing attack of issue 9 (item 2), through every surface a coordinator reaches.

A coordinator reads their district's figures, lets one resident answer, and reads again:
with live, exact figures n2·m2 − n1·m1 is that resident's index (and SDG flag). METHOD.md
§4.10: figures are published as snapshots, and a district's figures are published again only
once at least REPORT_MIN_CELL responses were added to it, removed from it or corrected since,
so two publications never differ by fewer than that many people.

Snapshots are made here the way production makes them: by the nightly beat's task
(`reports.tasks.regenerate_current_wave`, its report jobs left queued) and by the report job
a coordinator's request starts.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from reports import tasks
from surveys.paper_services import batch_create, paper_entry_create, paper_response_edit, paper_sheet_void
from tests.conftest import complete_answers
from tests.reports.seeding import answers_with, seed_responses

AGGREGATES = "/api/v1/aggregates/"
REPORTS = "/api/v1/reports/"
RESPONSES = "/api/v1/responses/"


@pytest.fixture
def district_responses(survey_ready, definition):
    """25 responses in district A (the coordinator's) and 15 in district B."""
    for code, count, seed in (("KRG-KZB", 25, 1), ("KRG-TEM", 15, 2)):
        seed_responses(definition=definition, checklist=survey_ready["checklist"], wave=survey_ready["wave"],
                       district=survey_ready["districts"][code], count=count, safety=0.5, seed=seed)


@pytest.fixture
def nightly(settings):
    """The nightly beat's task, as beat runs it; its report jobs stay queued (nothing commits)."""
    settings.REPORTS_NIGHTLY_LANGUAGES = ["ru"]
    settings.REPORTS_NIGHTLY_FORMATS = ["html"]
    return lambda: tasks.regenerate_current_wave.delay()


@pytest.fixture
def as_coordinator(coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)
    return client


@pytest.fixture
def resident_answers(definition):
    """What one resident answers: very safe after dark (so the SDG flag is 1), a distinctive index."""
    return answers_with(definition, safe_walk_dark=4, safe_walk_day=1, safe_home_night=4, safe_transport=1)


def resident_submits(answers, district="KRG-KZB"):
    """One resident answers through the public API, as a phone would."""
    response = Client().post(RESPONSES, {"district": district, "language": "ru", "answers": answers},
                             content_type="application/json")
    assert response.status_code == 201, response.content


def district_a(client) -> dict:
    response = client.get(AGGREGATES, {"wave": "2020", "district": "KRG-KZB"})
    assert response.status_code == 200, response.content
    (unit,) = response.json()["districts"]
    return unit


def recovered(before: dict, after: dict, figure: str, block: str = "unweighted") -> float:
    """n2·m2 − n1·m1: what the attack reads as the new resident's answer."""
    one, two = before[block][figure], after[block][figure]
    return two["n"] * two["value"] - one["n"] * one["value"]


def test_one_new_response_changes_no_figure_of_the_aggregates_api(
    district_responses, nightly, as_coordinator, resident_answers
):
    nightly()
    before = district_a(as_coordinator)
    assert before["n"] == 25 and not before["suppressed"]
    resident_submits(resident_answers)
    nightly()
    after = district_a(as_coordinator)
    assert after["n"] == before["n"]
    for block in ("weighted", "unweighted"):
        for figure in ("index", "sdg"):
            assert after[block][figure] == before[block][figure], (block, figure)
            assert recovered(before, after, figure, block) == 0  # nothing to read
    assert after == before


def test_the_figures_change_only_once_ten_responses_have_been_added(
    district_responses, nightly, as_coordinator, resident_answers
):
    min_cell = settings.REPORT_MIN_CELL
    nightly()
    before = district_a(as_coordinator)
    for _ in range(min_cell - 1):
        resident_submits(resident_answers)
        nightly()
        assert district_a(as_coordinator) == before
    resident_submits(resident_answers)
    nightly()
    after = district_a(as_coordinator)
    assert after["n"] - before["n"] == min_cell  # the difference rests on ten respondents
    assert after["unweighted"]["index"]["value"] != before["unweighted"]["index"]["value"]


def _report_html(client, django_capture_on_commit_callbacks) -> str:
    """The coordinator requests district A's report in English, the job runs, they download it."""
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(REPORTS, {"scope": "KRG-KZB", "wave": "2020", "language": "en", "formats": ["html"]},
                            format="json")
    assert asked.status_code in (200, 202), asked.content
    job = client.get(f"{REPORTS}{asked.json()['id']}/").json()
    assert job["status"] == "done", job
    (file,) = job["files"]
    download = client.get(file["url"])
    assert download.status_code == 200
    return b"".join(download.streaming_content).decode()


def _figures_of(html: str) -> str:
    """The report's text without its provenance (input fingerprint, generation time): every
    figure, label and chart a reader sees."""
    html = re.sub(r'<div class="provenance".*?</div>', "", html, flags=re.S)
    html = re.sub(r"<meta[^>]*>", "", html)
    html = re.sub(r"<dt>Generated</dt><dd>.*?</dd>", "", html, flags=re.S)
    html = re.sub(r'<section class="method".*?</section>', "", html, flags=re.S)
    return html


def test_one_new_response_changes_nothing_in_the_district_report_a_coordinator_downloads(
    district_responses, as_coordinator, resident_answers, reports_storage, django_capture_on_commit_callbacks
):
    before = _report_html(as_coordinator, django_capture_on_commit_callbacks)
    assert "Kazybek Bi" in before and "In Kazybek Bi district" in before  # its figures are shown
    resident_submits(resident_answers)
    after = _report_html(as_coordinator, django_capture_on_commit_callbacks)
    assert _figures_of(after) == _figures_of(before)


@pytest.fixture
def reports_storage(monkeypatch, tmp_path):
    from django.core.files.storage import FileSystemStorage

    from reports.models import ReportFile

    monkeypatch.setattr(ReportFile._meta.get_field("file"), "storage",
                        FileSystemStorage(location=tmp_path / "private-reports"))


@pytest.fixture
def committed_sheets(survey_ready, district_a, coordinator, volunteer_a, volunteer_a2, definition):
    """Six paper sheets of district A keyed twice and committed."""
    batch = batch_create(district=district_a, wave=survey_ready["wave"], language="ru", size=6,
                         created_by=coordinator, render_pdf=False)
    answers = complete_answers(definition, vic_burglary=0, vic_transport_theft=0, vic_fraud=0,
                               vic_assault_hooliganism=0, age_group=2, sex=1)
    sheets = list(batch.sheets.order_by("number"))
    for sheet in sheets:
        paper_entry_create(sheet=sheet, user=volunteer_a, answers=answers)
        paper_entry_create(sheet=sheet, user=volunteer_a2, answers=answers)
        sheet.refresh_from_db()
    return sheets, answers


def test_a_voided_sheet_and_a_corrected_sheet_count_as_changes(
    district_responses, committed_sheets, nightly, as_coordinator, coordinator, resident_answers
):
    sheets, answers = committed_sheets
    nightly()
    before = district_a(as_coordinator)
    assert before["n"] == 25 + 6
    paper_sheet_void(sheet=sheets[0], user=coordinator, reason="a duplicate interview")
    corrected = {**answers, "safe_walk_dark": 1 if answers["safe_walk_dark"] != 1 else 4}
    paper_response_edit(sheet=sheets[1], user=coordinator, answers=corrected, reason="misread the tick")
    for _ in range(settings.REPORT_MIN_CELL - 3):  # with the void and the correction: one short of ten
        resident_submits(resident_answers)
    nightly()
    assert district_a(as_coordinator) == before
    resident_submits(resident_answers)  # the tenth change
    nightly()
    after = district_a(as_coordinator)
    assert after != before and after["n"] == before["n"] - 1 + settings.REPORT_MIN_CELL - 2
