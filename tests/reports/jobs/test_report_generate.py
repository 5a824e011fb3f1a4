"""report_generate: a job is claimed, rendered, stored and finished exactly once."""

import datetime
import os
import socket
import subprocess

import pytest
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from reports import services
from reports.models import ReportFile, ReportJob


@pytest.fixture
def job(analyst, responses, wave):
    return ReportJob.objects.create(
        wave=wave, language="kk", formats="html,pdf", fingerprint="f" * 64, requested_by=analyst
    )


def test_it_stores_the_files_and_marks_the_job_done(job, renderer, reports_storage):
    services.report_generate(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts, job.error) == ("done", 100, 1, "")
    assert job.started_at <= job.finished_at and job.heartbeat_at == job.finished_at
    files = {f.format: f for f in job.files.all()}
    assert set(files) == {"html", "pdf"}
    assert files["html"].file.read().startswith(b"<html lang='kk'>")
    assert files["pdf"].file.read().startswith(b"%PDF-")
    assert files["pdf"].size == files["pdf"].file.size
    assert renderer.calls == [{"scope": "region", "wave": job.wave, "language": "kk", "formats": ["html", "pdf"]}]


def test_files_are_stored_privately_under_an_unguessable_directory(job, renderer, reports_storage):
    services.report_generate(job_id=job.pk)
    html = job.files.get(format="html")
    wave_dir, token, name = html.file.name.split("/")
    assert (wave_dir, name) == (job.wave.code, "region-2020-kk.html")
    assert len(token) >= 32
    path = reports_storage / html.file.name
    assert path.exists() and not str(path).startswith(str(settings.MEDIA_ROOT))


def test_a_finished_job_is_left_alone(job, renderer):
    services.report_generate(job_id=job.pk)
    services.report_generate(job_id=job.pk)
    job.refresh_from_db()
    assert len(renderer.calls) == 1 and job.attempts == 1 and job.files.count() == 2


def test_a_job_running_elsewhere_with_a_recent_heartbeat_is_left_alone(job, renderer):
    ReportJob.objects.filter(pk=job.pk).update(status="running", attempts=1, heartbeat_at=timezone.now())
    assert services.report_generate(job_id=job.pk) is None
    job.refresh_from_db()
    assert renderer.calls == [] and job.status == "running" and job.attempts == 1


def test_a_job_whose_worker_went_silent_is_taken_over(job, renderer):
    silent_since = timezone.now() - datetime.timedelta(minutes=settings.REPORT_STALE_MINUTES + 1)
    ReportJob.objects.filter(pk=job.pk).update(status="running", attempts=1, heartbeat_at=silent_since, progress=40)
    services.report_generate(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, len(renderer.calls)) == ("done", 2, 1)


def test_a_silent_job_that_used_up_its_attempts_fails_instead(job, renderer):
    silent_since = timezone.now() - datetime.timedelta(minutes=settings.REPORT_STALE_MINUTES + 1)
    ReportJob.objects.filter(pk=job.pk).update(
        status="running", attempts=settings.REPORT_MAX_ATTEMPTS, heartbeat_at=silent_since
    )
    services.report_generate(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and renderer.calls == []
    assert str(settings.REPORT_MAX_ATTEMPTS) in job.error


def test_an_error_while_rendering_fails_the_job_with_a_readable_message_in_its_language(job, renderer):
    renderer.fail_with = ValueError("no figures for wave 2020")
    services.report_generate(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None and job.files.count() == 0
    assert "no figures for wave 2020" in job.error
    assert job.error.startswith("Есеп")  # the job was asked for in Kazakh


def test_a_transient_error_puts_the_job_back_in_the_queue_and_is_raised_for_a_retry(job, renderer):
    renderer.fail_with = OperationalError("server closed the connection unexpectedly")
    with pytest.raises(OperationalError):
        services.report_generate(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress) == ("queued", 1, 0)
    renderer.fail_with = None
    services.report_generate(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)


def test_a_worker_that_lost_its_job_stops_without_touching_it(job, renderer, settings):
    settings.REPORT_PROGRESS_SECONDS = 0  # write every progress call

    def another_worker_takes_over():
        ReportJob.objects.filter(pk=job.pk).update(attempts=2, progress=5, heartbeat_at=timezone.now())

    renderer.during = another_worker_takes_over
    assert services.report_generate(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress) == ("running", 2, 5)
    assert not ReportFile.objects.exists()


def test_a_job_that_was_deleted_is_ignored(job, renderer):
    job_id = job.pk
    job.delete()
    assert services.report_generate(job_id=job_id) is None and renderer.calls == []


def test_an_export_job_stores_each_export_as_a_file_of_its_format(analyst, responses, wave, district_a):
    job = ReportJob.objects.create(
        scope="district", district=district_a, wave=wave, language="ru",
        formats="microdata_csv,microdata_sav,tables_xlsx", fingerprint="x" * 64, requested_by=analyst,
    )
    services.report_generate(job_id=job.pk)  # the real reports.exports
    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == ("done", 100, "")
    files = {f.format: f for f in job.files.all()}
    assert set(files) == {"microdata_csv", "microdata_sav", "tables_xlsx"}
    csv_lines = files["microdata_csv"].file.read().decode("utf-8-sig").splitlines()
    assert len(csv_lines) == 1 + 12  # a header and district A's twelve responses
    assert files["tables_xlsx"].file.read(2) == b"PK"  # a zip container, as every .xlsx
    assert files["microdata_sav"].filename.endswith(".sav") and files["microdata_sav"].size > 0


def test_the_real_report_of_a_district_is_stored_with_its_name_and_fingerprint(analyst, responses, wave, district_a):
    job, _ = services.report_request(user=analyst, scope=district_a, wave=wave, language="kk", formats=["html"])
    services.report_generate(job_id=job.pk)  # the real reports.rendering
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)
    html = job.files.get(format="html").file.read().decode()
    # The provenance stamp names the input of the published figures it shows (METHOD.md §4.10).
    assert job.snapshot is not None and job.snapshot.fingerprint
    assert district_a.name_kk in html and job.snapshot.fingerprint in html


def a_dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_job_whose_worker_process_is_gone_from_this_host_is_taken_over_at_once(job, renderer):
    ReportJob.objects.filter(pk=job.pk).update(
        status="running", attempts=1, heartbeat_at=timezone.now(), worker=f"{socket.gethostname()}:{a_dead_pid()}"
    )
    services.report_generate(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == ("done", 2, services.this_worker())


@pytest.mark.parametrize("worker", ["parent", "other-host"])
def test_a_job_whose_worker_is_alive_or_elsewhere_waits_for_its_heartbeat_to_go_stale(job, renderer, worker):
    owner = f"{socket.gethostname()}:{os.getppid()}" if worker == "parent" else f"other-host:{a_dead_pid()}"
    ReportJob.objects.filter(pk=job.pk).update(status="running", attempts=1, heartbeat_at=timezone.now(), worker=owner)
    assert services.report_generate(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts, renderer.calls) == ("running", 1, [])
