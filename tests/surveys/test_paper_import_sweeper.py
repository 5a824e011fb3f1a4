"""Import jobs whose worker died are swept like report jobs: a silent job is checked again
(by the sweeper from beat, or by the redelivered message taking over at once when its
worker process is gone), and fails after too many starts; a worker that lost its job stops
without touching it."""

import datetime
import os
import socket
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from surveys import paper_import_jobs, tasks
from surveys.paper_import_jobs import IMPORT_GAVE_UP, paper_import_check, paper_import_jobs_sweep
from surveys.paper_models import ImportJob, PaperEntry

from .importing import csv_bytes, in_russian, template_rows


@pytest.fixture
def sent(monkeypatch):
    ids = []
    monkeypatch.setattr(tasks.check_import, "delay", ids.append)
    return ids


@pytest.fixture
def make_job(paper_batch, coordinator, definition, sheet_answers):
    content = csv_bytes(
        template_rows(definition, [(sheet.serial, sheet_answers) for sheet in paper_batch.sheets.order_by("number")])
    )

    def make(**fields):
        return ImportJob.objects.create(
            batch=paper_batch, uploaded_by=coordinator, language="ru", filename="entries.csv", size=len(content),
            content=content, **fields,
        )

    return make


def ago(minutes):
    return timezone.now() - datetime.timedelta(minutes=minutes)


def a_dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_checking_job_whose_worker_went_silent_is_queued_again_and_sent(
    make_job, sent, settings, django_capture_on_commit_callbacks
):
    job = make_job(status="checking", attempts=1, progress=40, heartbeat_at=ago(settings.REPORT_STALE_MINUTES + 1))
    with django_capture_on_commit_callbacks(execute=True):
        result = paper_import_jobs_sweep()
    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts) == ("uploaded", 0, 1)
    assert result.requeued == [job.pk] and sent == [job.pk]


def test_the_next_start_of_a_swept_job_imports_it_as_another_attempt(
    make_job, settings, django_capture_on_commit_callbacks
):
    job = make_job(status="checking", attempts=1, heartbeat_at=ago(settings.REPORT_STALE_MINUTES + 1))
    with django_capture_on_commit_callbacks(execute=True):  # eager: the task runs at once
        paper_import_jobs_sweep()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("committed", 2) and PaperEntry.objects.count() == 3


def test_a_job_started_too_often_fails_with_a_message_and_lets_go_of_its_file(make_job, sent, settings):
    job = make_job(status="checking", attempts=settings.REPORT_MAX_ATTEMPTS, heartbeat_at=ago(600))
    result = paper_import_jobs_sweep()
    job.refresh_from_db()
    assert job.status == "failed" and result.failed == [job.pk] and sent == []
    assert job.error == in_russian(IMPORT_GAVE_UP, attempts=settings.REPORT_MAX_ATTEMPTS)
    assert bytes(job.content) == b"" and job.finished_at is not None


def test_a_job_that_nobody_took_for_long_is_sent_again(make_job, sent, settings, django_capture_on_commit_callbacks):
    waiting = make_job(queued_at=ago(settings.REPORT_STALE_MINUTES + 1))
    fresh = make_job()
    with django_capture_on_commit_callbacks(execute=True):
        result = paper_import_jobs_sweep()
    assert result.resent == [waiting.pk] and sent == [waiting.pk] and fresh.pk not in sent


def test_a_redelivered_job_whose_worker_process_is_gone_is_taken_over_at_once(make_job):
    job = make_job(
        status="checking", attempts=1, heartbeat_at=timezone.now(), worker=f"{socket.gethostname()}:{a_dead_pid()}"
    )
    paper_import_check(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("committed", 2) and PaperEntry.objects.count() == 3


def test_a_redelivered_job_whose_worker_lives_and_speaks_is_left_to_it(make_job):
    alive = f"{socket.gethostname()}:{os.getppid()}"
    job = make_job(status="checking", attempts=1, heartbeat_at=timezone.now(), worker=alive)
    assert paper_import_check(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("checking", 1) and not PaperEntry.objects.exists()


def test_a_worker_that_lost_its_job_to_another_stops_without_storing_anything(make_job, monkeypatch, settings):
    settings.REPORT_PROGRESS_SECONDS = 0  # every row is a heartbeat
    job = make_job()
    real_read = paper_import_jobs.read_table

    def taken_over_while_reading(data, **kwargs):
        # Another worker took the job over (its heartbeat looked stale): a new attempt.
        ImportJob.objects.filter(pk=job.pk).update(attempts=5)
        return real_read(data, **kwargs)

    monkeypatch.setattr(paper_import_jobs, "read_table", taken_over_while_reading)
    assert paper_import_check(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("checking", 5) and bytes(job.content) != b""
    assert not PaperEntry.objects.exists()


def test_beat_runs_the_import_sweeper_with_the_report_sweeper():
    schedule = {entry["task"]: entry["schedule"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["surveys.tasks.sweep_stale_import_jobs"] == schedule["reports.tasks.sweep_stale_jobs"]


def test_the_import_task_is_acknowledged_only_once_its_job_is_over():
    assert tasks.check_import.acks_late and tasks.check_import.reject_on_worker_lost
