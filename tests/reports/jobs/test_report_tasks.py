"""The Celery tasks: thin, acks_late, retried on transient errors, and the nightly run."""

import pytest
from django.db import OperationalError

from reports import services, tasks
from reports.models import ReportJob
from safetysurvey.celery import app as celery_app
from surveys.models import Wave


@pytest.fixture
def like_a_worker(monkeypatch):
    """Eager tasks that, like a worker, keep an error in the result instead of raising it
    (with CELERY_TASK_EAGER_PROPAGATES an eager retry would raise Retry at once)."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


@pytest.fixture
def job(analyst, responses, wave):
    return ReportJob.objects.create(wave=wave, language="ru", formats="html", fingerprint="t" * 64,
                                    requested_by=analyst)


def test_the_report_task_acknowledges_late_and_survives_a_lost_worker():
    task = tasks.generate_report
    assert task.acks_late is True and task.reject_on_worker_lost is True
    assert OperationalError in task.autoretry_for and ConnectionError in task.autoretry_for
    assert task.retry_backoff and task.max_retries >= 3


def test_a_transient_error_is_retried_and_the_job_then_finishes(job, renderer, like_a_worker):
    failures = [OperationalError("could not connect to server: Connection refused")]

    def flaky():
        if failures:
            raise failures.pop()

    renderer.during = flaky
    tasks.generate_report.delay(job.pk)  # eager: retries run at once, without the backoff wait
    job.refresh_from_db()
    assert (job.status, job.attempts, len(renderer.calls)) == ("done", 2, 2)


def test_a_job_that_keeps_failing_transiently_is_marked_failed_after_the_last_retry(job, renderer, like_a_worker):
    renderer.fail_with = ConnectionError("Connection reset by peer")
    result = tasks.generate_report.delay(job.pk)
    assert result.failed() and isinstance(result.result, ConnectionError)
    job.refresh_from_db()
    assert job.status == "failed" and "Connection reset by peer" in job.error
    assert len(renderer.calls) == tasks.generate_report.max_retries + 1


def test_a_render_bug_is_not_retried(job, renderer):
    renderer.fail_with = KeyError("weighted")
    tasks.generate_report.delay(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and len(renderer.calls) == 1


def test_the_nightly_run_queues_the_region_and_every_district_of_the_open_wave(
    responses, wave, renderer, settings, django_capture_on_commit_callbacks
):
    settings.REPORTS_NIGHTLY_LANGUAGES = ["ru", "kk"]
    settings.REPORTS_NIGHTLY_FORMATS = ["html"]
    with django_capture_on_commit_callbacks(execute=True):
        created = tasks.regenerate_current_wave.delay().get()
    jobs = ReportJob.objects.filter(wave=wave)
    scopes = {job.scope_code for job in jobs}
    assert created == jobs.count() == 15 * 2  # the region and the 14 districts residents answer for, in 2 languages
    assert "region" in scopes and "KRG-KAR" not in scopes and {"KRG-KZB", "KRG-SHE"} <= scopes
    assert set(jobs.values_list("status", flat=True)) == {"done"}
    assert set(jobs.values_list("requested_by", flat=True)) == {None}


def test_the_next_night_reuses_every_unchanged_report(responses, wave, renderer, settings,
                                                      django_capture_on_commit_callbacks):
    settings.REPORTS_NIGHTLY_LANGUAGES = ["ru"]
    settings.REPORTS_NIGHTLY_FORMATS = ["html"]
    with django_capture_on_commit_callbacks(execute=True):
        services.report_regenerate_current_wave()
    calls = len(renderer.calls)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.regenerate_current_wave.delay().get() == 0
    assert len(renderer.calls) == calls


def test_without_an_open_wave_the_nightly_run_does_nothing(responses, wave, renderer):
    Wave.objects.update(is_open=False)
    assert tasks.regenerate_current_wave.delay().get() == 0 and not ReportJob.objects.exists()
