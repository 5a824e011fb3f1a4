"""report_request: who may ask for what, and an unchanged request reusing the finished job."""

import sys
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied
from kombu.exceptions import OperationalError as BrokerDown

import reports
from reports import services, tasks
from reports.models import ReportJob
from surveys.models import Response
from tests.reports.seeding import seed_responses


@pytest.fixture
def sent(monkeypatch):
    """The job ids whose task was sent to the broker."""
    ids = []
    monkeypatch.setattr(tasks.generate_report, "delay", lambda job_id: ids.append(job_id))
    return ids


def request(user, scope, wave, language="ru", formats=("pdf", "html")):
    return services.report_request(user=user, scope=scope, wave=wave, language=language, formats=formats)


def test_an_analyst_gets_a_queued_job_whose_task_is_sent_when_the_transaction_commits(
    analyst, responses, wave, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job, reused = request(analyst, "region", wave)
        assert sent == []  # not before the commit
    assert (reused, job.status, job.scope, job.district, job.formats) == (False, "queued", "region", None, "html,pdf")
    assert job.requested_by == analyst and job.fingerprint and job.attempts == 0
    assert len(callbacks) == 1 and sent == [job.pk]


def test_asking_for_a_report_loads_nothing_of_the_statistics_or_rendering_stack(
    analyst, responses, wave, district_a, sent, monkeypatch
):
    """The web process only queues the job; importing numpy, pandas and matplotlib for the
    input fingerprint took seconds in each web worker's first report request (BENCHMARKS.md,
    "Load"). Here importing any of them fails."""
    for name in ("rendering", "figures", "aggregation", "charts", "data", "exports"):
        monkeypatch.delattr(reports, name, raising=False)
        monkeypatch.setitem(sys.modules, f"reports.{name}", None)
    for name in ("numpy", "pandas", "scipy", "matplotlib", "weasyprint"):
        monkeypatch.setitem(sys.modules, name, None)
    job, reused = request(analyst, district_a, wave)
    assert (reused, job.status, job.district) == (False, "queued", district_a)
    assert len(job.fingerprint) == 64


def test_an_unchanged_request_reuses_the_finished_job(analyst, responses, wave, renderer,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = request(analyst, "region", wave, formats=["html"])
    first.refresh_from_db()
    assert first.status == "done"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, reused = request(analyst, "region", wave, formats=["html"])
    assert (again.pk, reused, callbacks) == (first.pk, True, [])
    assert len(renderer.calls) == 1


def test_a_job_still_being_made_is_reused_instead_of_starting_a_second(analyst, responses, wave, sent):
    first, _ = request(analyst, "region", wave)
    again, reused = request(analyst, "region", wave)
    assert (again.pk, reused) == (first.pk, True)


def test_a_request_for_fewer_formats_reuses_a_job_that_made_more(analyst, responses, wave, sent):
    both, _ = request(analyst, "region", wave, formats=["html", "pdf"])
    only_pdf, reused = request(analyst, "region", wave, formats=["pdf"])
    assert (only_pdf.pk, reused) == (both.pk, True)
    more, reused = request(analyst, "region", wave, formats=["pdf", "html", "tables_csv"])
    assert more.pk != both.pk and not reused


def test_a_new_response_changes_the_fingerprint_and_makes_a_new_job(
    analyst, responses, wave, sent, definition, checklist, district_a
):
    first, _ = request(analyst, district_a, wave)
    seed_responses(definition=definition, checklist=checklist, wave=wave, district=district_a, count=1,
                   safety=0.5, seed=99)
    second, reused = request(analyst, district_a, wave)
    assert not reused and second.fingerprint != first.fingerprint


def test_another_language_or_scope_is_another_job(analyst, responses, wave, sent, district_a):
    ru, _ = request(analyst, "region", wave, language="ru")
    kk, reused_kk = request(analyst, "region", wave, language="kk")
    district, reused_district = request(analyst, district_a, wave, language="ru")
    assert len({ru.pk, kk.pk, district.pk}) == 3 and not reused_kk and not reused_district


def test_a_failed_job_is_not_reused(analyst, responses, wave, sent):
    failed, _ = request(analyst, "region", wave)
    ReportJob.objects.filter(pk=failed.pk).update(status="failed", error="boom")
    again, reused = request(analyst, "region", wave)
    assert again.pk != failed.pk and not reused


def test_a_coordinator_may_request_their_own_district(coordinator, responses, wave, sent, district_a):
    job, _ = request(coordinator, district_a, wave)
    assert job.district == district_a and job.scope == "district"


@pytest.mark.parametrize(
    ("scope_code", "formats", "message"),
    [
        ("region", ["pdf"], services.REGION_FOR_ANALYSTS),
        ("KRG-TEM", ["pdf"], services.DISTRICT_NOT_YOURS),
        ("KRG-KZB", ["microdata_csv"], services.EXPORTS_FOR_ANALYSTS),
    ],
)
def test_a_coordinator_may_not_request_the_region_another_district_or_exports(
    coordinator, responses, wave, sent, districts, scope_code, formats, message
):
    scope = "region" if scope_code == "region" else districts[scope_code]
    with pytest.raises(PermissionDenied) as refused:
        request(coordinator, scope, wave, formats=formats)
    assert str(refused.value) == str(message)
    assert not ReportJob.objects.exists() and sent == []


def test_a_volunteer_is_refused_even_for_their_own_district(volunteer_b, responses, wave, sent, district_b):
    with pytest.raises(PermissionDenied) as refused:
        request(volunteer_b, district_b, wave)
    assert str(refused.value) == str(services.NOT_A_REPORTS_USER)
    assert not ReportJob.objects.exists()


def test_bad_formats_language_and_scope_are_field_errors_and_nothing_is_stored(
    analyst, responses, wave, sent, districts
):
    with pytest.raises(services.ReportRefused) as refused:
        request(analyst, "region", wave, language="de", formats=["docx"])
    assert refused.value.errors == {
        "formats": [str(services.UNKNOWN_FORMAT % {"format": "docx"})],
        "language": [str(services.UNKNOWN_LANGUAGE)],
    }
    with pytest.raises(services.ReportRefused) as refused:
        request(analyst, districts["KRG-KAR"], wave, formats=[])  # Karaganda city has districts of its own
    assert refused.value.errors == {
        "formats": [str(services.NO_FORMATS)],
        "scope": [str(services.DISTRICT_TAKES_NO_RESPONSES)],
    }
    assert not ReportJob.objects.exists()


def test_a_broker_outage_leaves_the_job_queued_for_the_sweeper(
    analyst, responses, wave, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(job_id):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.generate_report, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = request(analyst, "region", wave)
    job.refresh_from_db()
    assert job.status == "queued"
    assert Response.objects.count() == 23  # nothing else was disturbed


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_job_can_run_in_a_thread_so_the_request_returns_at_once(
    analyst, responses, wave, renderer, settings
):
    settings.REPORTS_RUN_IN_THREAD = True
    started = threading.Event()
    release = threading.Event()

    def hold():
        started.set()
        release.wait(10)

    renderer.during = hold
    job, _ = request(analyst, "region", wave, formats=["html"])  # autocommit: on_commit runs now
    assert started.wait(10), "the job did not start in its thread"
    assert ReportJob.objects.get(pk=job.pk).status == "running"  # while the caller carries on
    release.set()
    deadline = time.monotonic() + 10
    while ReportJob.objects.get(pk=job.pk).status != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ReportJob.objects.get(pk=job.pk).status == "done"


def test_a_coordinator_is_not_handed_an_analysts_job_that_also_made_exports(
    analyst, coordinator, responses, wave, sent, district_a
):
    with_exports, _ = request(analyst, district_a, wave, formats=["pdf", "tables_csv"])
    mine, reused = request(coordinator, district_a, wave, formats=["pdf"])
    assert mine.pk != with_exports.pk and not reused
    assert services.jobs_visible_to(coordinator).filter(pk=mine.pk).exists()


@pytest.fixture
def queues(monkeypatch):
    """job id -> the queue its task was sent to (None: where CELERY_TASK_ROUTES sends it)."""
    where = {}
    monkeypatch.setattr(tasks.generate_report, "delay", lambda job_id: where.update({job_id: None}))
    monkeypatch.setattr(
        tasks.generate_report, "apply_async", lambda args, queue=None: where.update({args[0]: queue})
    )
    return where


def test_with_an_exports_queue_export_jobs_go_there_and_reports_stay_on_theirs(
    analyst, responses, wave, queues, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_EXPORTS_QUEUE = "exports"
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = request(analyst, "region", wave, formats=["microdata_csv", "tables_xlsx"])
        report, _ = request(analyst, "region", wave, formats=["pdf"])
    assert queues == {export.pk: "exports", report.pk: None}


def test_without_an_exports_queue_export_jobs_share_the_reports_queue(
    analyst, responses, wave, queues, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = request(analyst, "region", wave, formats=["microdata_csv"])
    assert queues == {export.pk: None}


def test_an_export_job_sent_again_by_the_sweeper_goes_to_the_exports_queue(
    analyst, responses, wave, queues, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_EXPORTS_QUEUE = "exports"
    job = ReportJob.objects.create(wave=wave, language="ru", formats="microdata_sav", fingerprint="e" * 64,
                                   unsent=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.jobs_sweep_stale()
    assert queues == {job.pk: "exports"}


def test_after_one_new_response_the_same_report_is_handed_out_again_without_rendering(
    analyst, responses, wave, renderer, definition, checklist, district_a, django_capture_on_commit_callbacks
):
    """METHOD.md §4.10: one response changes no published figure, so the new job (the input
    changed) makes a snapshot that carries every unit forward and copies the finished files."""
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = request(analyst, district_a, wave, formats=["html"])
    seed_responses(definition=definition, checklist=checklist, wave=wave, district=district_a, count=1,
                   safety=0.5, seed=99)
    with django_capture_on_commit_callbacks(execute=True):
        second, reused = request(analyst, district_a, wave, formats=["html"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert not reused and second.pk != first.pk and second.status == "done"
    assert second.snapshot != first.snapshot and second.publication == first.publication
    assert len(renderer.calls) == 1
    assert second.files.get().file.read() == first.files.get().file.read()
    with django_capture_on_commit_callbacks(execute=True):
        third, reused = request(analyst, district_a, wave, formats=["html"])
    assert reused and third.pk == second.pk  # the snapshot is current again: reused by it


def test_once_ten_responses_changed_a_district_its_report_is_made_again(
    analyst, responses, wave, renderer, definition, checklist, district_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = request(analyst, district_a, wave, formats=["html"])
    seed_responses(definition=definition, checklist=checklist, wave=wave, district=district_a, count=10,
                   safety=0.5, seed=98)
    with django_capture_on_commit_callbacks(execute=True):
        second, _ = request(analyst, district_a, wave, formats=["html"])
    second.refresh_from_db()
    assert second.publication != first.publication and len(renderer.calls) == 2
    assert b"n=22" in second.files.get().file.read()
