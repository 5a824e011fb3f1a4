"""An import is a job with its state in a row: the upload stores the file and returns at
once, a worker checks and imports it all or nothing, and the job's page follows the row
(polling it, or refreshing itself without JavaScript) until it shows what was stored or
every problem found (issue 9, item 4)."""

import threading
import time

import pytest
from django.urls import reverse

from checklist.answers import NOT_AN_OPTION
from surveys import tasks
from surveys.models import Response
from surveys.paper_import_jobs import IMPORT_COMMITTED, IMPORT_CRASHED, paper_import_jobs_sweep
from surveys.paper_models import ImportJob, PaperEntry, Sheet
from surveys.paper_services import batch_create

from .importing import a_file, csv_bytes, in_russian, post_upload, template_rows, upload


@pytest.fixture
def sheets(paper_batch):
    return list(paper_batch.sheets.order_by("number"))


@pytest.fixture
def good_file(definition, sheets, sheet_answers):
    return csv_bytes(template_rows(definition, [(sheet.serial, sheet_answers) for sheet in sheets]))


def test_the_upload_stores_the_file_as_a_job_and_returns_without_reading_it(
    login, coordinator, paper_batch, good_file, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("surveys.paper_import_jobs.read_table", lambda *a, **k: pytest.fail("read in the request"))
    with django_capture_on_commit_callbacks() as sent:  # the task is sent after commit; not run here
        response = post_upload(login(coordinator), paper_batch, a_file(good_file))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("paper:import_job", args=[job.pk])
    assert (job.status, job.batch, job.uploaded_by, job.language) == ("uploaded", paper_batch, coordinator, "ru")
    assert bytes(job.content) == good_file and job.size == len(good_file) and job.filename == "entries.csv"
    assert len(sent) == 1 and not PaperEntry.objects.exists()


def test_the_page_of_a_waiting_job_polls_it_and_refreshes_itself_without_javascript(
    login, coordinator, paper_batch, good_file, django_capture_on_commit_callbacks
):
    client = login(coordinator)
    with django_capture_on_commit_callbacks():
        post_upload(client, paper_batch, a_file(good_file))
    job = ImportJob.objects.get()
    page = client.get(reverse("paper:import_job", args=[job.pk])).content.decode()
    assert f'data-job-status-url="{reverse("paper:import_job_status", args=[job.pk])}"' in page
    assert "js/reports.js" in page  # the report jobs' poller
    assert '<noscript><meta http-equiv="refresh"' in page and '<noscript><a href="">' in page
    status = client.get(reverse("paper:import_job_status", args=[job.pk]))
    assert status["Cache-Control"] == "no-store"
    assert status.json() == {
        "id": job.pk, "status": "uploaded", "status_display": in_russian(ImportJob.Status.UPLOADED.label),
        "progress": 0, "rows_checked": 0, "rows_total": None, "finished": False,
    }


def test_the_worker_imports_the_file_and_the_page_shows_what_was_stored(
    login, coordinator, paper_batch, good_file, sheet_answers
):
    client = login(coordinator)
    job, page = upload(client, paper_batch, a_file(good_file))
    assert job.status == "committed"
    assert job.outcome == {"entries": 3, "first_entries": 3, "committed": 0, "conflicts": 0}
    assert (job.progress, job.progress_total, job.attempts) == (3, 3, 1)
    assert bytes(job.content) == b"", "the file is let go once its rows are stored"
    assert [entry.answers for entry in PaperEntry.objects.all()] == [sheet_answers] * 3
    html = page.content.decode()
    assert in_russian(IMPORT_COMMITTED, entries=3, first=3, committed=0, conflicts=0) in html
    assert 'http-equiv="refresh"' not in html and "js/reports.js" not in html
    assert client.get(reverse("paper:import_job_status", args=[job.pk])).json()["finished"] is True


def test_an_import_with_one_bad_row_stores_nothing_and_its_page_lists_the_row(
    login, coordinator, paper_batch, sheets, definition, sheet_answers
):
    rows = [(sheets[0].serial, sheet_answers), (sheets[1].serial, {**sheet_answers, "safe_walk_day": 7}),
            (sheets[2].serial, sheet_answers)]
    job, page = upload(login(coordinator), paper_batch, a_file(csv_bytes(template_rows(definition, rows))))
    assert job.status == "failed" and job.error == ""
    assert job.row_errors == [{"row": 3, "column": "safe_walk_day", "message": in_russian(NOT_AN_OPTION)}]
    assert not PaperEntry.objects.exists() and set(Sheet.objects.values_list("status", flat=True)) == {"printed"}
    html = page.content.decode()
    assert definition.by_code["safe_walk_day"].question("ru") in html and in_russian(NOT_AN_OPTION) in html
    assert reverse("paper:batch_import", args=[paper_batch.pk]) in html  # upload a corrected file


def test_running_the_task_again_imports_nothing_twice(login, coordinator, paper_batch, good_file):
    job, _page = upload(login(coordinator), paper_batch, a_file(good_file))
    tasks.check_import(job.pk)  # a redelivered message, say
    job.refresh_from_db()
    assert job.status == "committed" and job.attempts == 1 and PaperEntry.objects.count() == 3


def test_a_second_entry_by_import_commits_the_sheets_it_agrees_with(
    login, coordinator, volunteer_a, paper_batch, sheets, good_file, sheet_answers
):
    from surveys.paper_services import paper_entry_create

    for sheet in sheets:
        paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    job, _page = upload(login(coordinator), paper_batch, a_file(good_file))
    assert job.outcome == {"entries": 3, "first_entries": 0, "committed": 3, "conflicts": 0}
    assert Response.objects.filter(channel="paper").count() == 3


def test_an_unexpected_failure_while_checking_fails_the_job_with_a_message_instead_of_raising(
    login, coordinator, paper_batch, good_file, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("surveys.paper_import_jobs.read_table", broken)
    job, page = upload(login(coordinator), paper_batch, a_file(good_file))
    assert job.status == "failed" and job.error == in_russian(IMPORT_CRASHED, error="RuntimeError")
    assert page.status_code == 200 and job.error in page.content.decode()
    assert not PaperEntry.objects.exists() and bytes(job.content) == b""


def test_only_coordinators_of_the_batchs_district_and_admins_follow_its_import(
    login, client, coordinator, volunteer_a, analyst, admin_user, survey_ready, district_b, good_file
):
    batch_b = batch_create(
        district=district_b, wave=survey_ready["wave"], language="ru", size=1, created_by=admin_user,
        render_pdf=False,
    )
    job, page = upload(login(admin_user), batch_b, a_file(good_file))
    assert page.status_code == 200
    for user, status in ((coordinator, 403), (volunteer_a, 403), (analyst, 403), (admin_user, 200)):
        client.logout()
        browser = login(user)
        assert browser.get(reverse("paper:import_job", args=[job.pk])).status_code == status, user
        assert browser.get(reverse("paper:import_job_status", args=[job.pk])).status_code == status, user


def test_a_broker_outage_leaves_the_job_uploaded_until_the_sweeper_sends_it(
    login, coordinator, paper_batch, good_file, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(job_id):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.check_import, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_upload(login(coordinator), paper_batch, a_file(good_file))
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.status, job.unsent) == ("uploaded", True)
    sent = []
    monkeypatch.setattr(tasks.check_import, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        result = paper_import_jobs_sweep()
    assert result.resent == [job.pk] and sent == [job.pk]
    job.refresh_from_db()
    assert job.unsent is False


def test_the_import_page_lists_the_latest_imports_of_the_batch(login, coordinator, paper_batch, good_file):
    client = login(coordinator)
    job, _page = upload(client, paper_batch, a_file(good_file, name="week-12.csv"))
    page = client.get(reverse("paper:batch_import", args=[paper_batch.pk])).content.decode()
    assert "week-12.csv" in page and reverse("paper:import_job", args=[job.pk]) in page


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_import_runs_in_a_thread_so_the_upload_returns_at_once(
    login, coordinator, paper_batch, good_file, settings, monkeypatch
):
    # What `make run` does: no broker, so jobs run in a thread of the web process.
    settings.REPORTS_RUN_IN_THREAD = True
    started, release = threading.Event(), threading.Event()
    from surveys import paper_import_jobs

    real_read = paper_import_jobs.read_table

    def held(*args, **kwargs):
        started.set()
        release.wait(10)
        return real_read(*args, **kwargs)

    monkeypatch.setattr(paper_import_jobs, "read_table", held)
    response = post_upload(login(coordinator), paper_batch, a_file(good_file))  # autocommit: on_commit runs now
    assert response.status_code == 302
    assert started.wait(10), "the job did not start in its thread"
    job = ImportJob.objects.get()
    assert job.status == "checking"  # while the request has returned
    release.set()
    deadline = time.monotonic() + 20
    while not ImportJob.objects.get(pk=job.pk).is_finished and time.monotonic() < deadline:
        time.sleep(0.1)
    job.refresh_from_db()
    assert job.status == "committed", (job.status, job.error, job.attempts)
    assert PaperEntry.objects.count() == 3
