"""jobs_sweep_stale: jobs nobody works on are queued again, or failed after too many starts."""

import datetime

import pytest
from django.utils import timezone

from reports import services, tasks
from reports.models import ReportJob


@pytest.fixture
def sent(monkeypatch):
    ids = []
    monkeypatch.setattr(tasks.generate_report, "delay", lambda job_id: ids.append(job_id))
    return ids


@pytest.fixture
def make_job(wave):
    def make(**fields):
        return ReportJob.objects.create(wave=wave, language="ru", formats="pdf", fingerprint="s" * 64, **fields)

    return make


def ago(minutes):
    return timezone.now() - datetime.timedelta(minutes=minutes)


def test_a_running_job_with_an_old_heartbeat_is_queued_again_and_sent(
    make_job, sent, settings, django_capture_on_commit_callbacks
):
    job = make_job(status="running", attempts=1, progress=60, heartbeat_at=ago(settings.REPORT_STALE_MINUTES + 1))
    with django_capture_on_commit_callbacks(execute=True):
        result = services.jobs_sweep_stale()
    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts) == ("queued", 0, 1)
    assert result.requeued == [job.pk] and sent == [job.pk]


def test_the_next_start_of_a_requeued_job_counts_as_another_attempt(make_job, renderer, responses, settings,
                                                                   django_capture_on_commit_callbacks):
    job = make_job(status="running", attempts=1, heartbeat_at=ago(settings.REPORT_STALE_MINUTES + 1))
    job.formats = "html"
    job.save()
    with django_capture_on_commit_callbacks(execute=True):  # eager: the task runs at once
        services.jobs_sweep_stale()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)


def test_a_running_job_that_was_started_too_often_fails(make_job, sent, settings):
    job = make_job(status="running", attempts=settings.REPORT_MAX_ATTEMPTS, heartbeat_at=ago(600))
    result = services.jobs_sweep_stale()
    job.refresh_from_db()
    assert job.status == "failed" and result.failed == [job.pk] and sent == []
    assert job.error and job.finished_at is not None


def test_a_running_job_with_a_recent_heartbeat_is_not_touched(make_job, sent, settings):
    job = make_job(status="running", attempts=1, progress=30, heartbeat_at=ago(settings.REPORT_STALE_MINUTES - 1))
    result = services.jobs_sweep_stale()
    job.refresh_from_db()
    assert (job.status, job.progress) == ("running", 30) and result.requeued == [] and sent == []


def test_a_queued_job_never_picked_up_is_sent_again_without_counting_an_attempt(
    make_job, sent, settings, django_capture_on_commit_callbacks
):
    lost = make_job(status="queued", queued_at=ago(settings.REPORT_STALE_MINUTES + 5))
    fresh = make_job(status="queued")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.jobs_sweep_stale()
    lost.refresh_from_db()
    assert result.resent == [lost.pk] and sent == [lost.pk] and fresh.pk not in sent
    assert lost.attempts == 0 and lost.queued_at > ago(1)


def test_finished_jobs_are_never_swept(make_job, sent):
    make_job(status="done", attempts=1, heartbeat_at=ago(10_000), queued_at=ago(10_000))
    make_job(status="failed", attempts=1, heartbeat_at=ago(10_000), queued_at=ago(10_000))
    result = services.jobs_sweep_stale()
    assert (result.requeued, result.failed, result.resent, sent) == ([], [], [], [])


def test_the_beat_task_runs_the_sweeper(make_job, sent, settings):
    make_job(status="running", attempts=1, heartbeat_at=ago(settings.REPORT_STALE_MINUTES + 1))
    assert tasks.sweep_stale_jobs.delay().get() == 1


def test_a_job_whose_task_could_not_be_sent_is_sent_at_the_next_sweep_not_when_stale(
    make_job, sent, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(job_id):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    job = make_job(status="queued")
    monkeypatch.setattr(tasks.generate_report, "delay", broker_down)
    services._enqueue(job.pk)
    job.refresh_from_db()
    assert job.unsent
    monkeypatch.undo()  # the broker is back
    monkeypatch.setattr(tasks.generate_report, "delay", lambda job_id: sent.append(job_id))
    with django_capture_on_commit_callbacks(execute=True):
        result = services.jobs_sweep_stale()
    job.refresh_from_db()
    assert result.resent == [job.pk] and sent == [job.pk] and not job.unsent


def test_a_fresh_queued_job_that_was_sent_is_left_alone(make_job, sent, django_capture_on_commit_callbacks):
    make_job(status="queued")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.jobs_sweep_stale()
    assert result.resent == [] and sent == []
