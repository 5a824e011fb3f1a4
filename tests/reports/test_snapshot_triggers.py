"""Who makes snapshots: the nightly beat (before the nightly reports), closing a wave, an
analyst's request (tests/reports/test_snapshot_api.py) and a report job whose wave changed
since its last snapshot. Their tasks are acks_late and safe to run twice."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from reports import tasks
from reports.models import ReportJob, Snapshot
from reports.snapshots import latest_snapshot, snapshot_fill
from surveys.models import Wave
from tests.reports.seeding import seed_responses


@pytest.fixture
def responses(survey_ready, definition):
    for code, count, seed in (("KRG-KZB", 12, 1), ("KRG-TEM", 11, 2)):
        seed_responses(definition=definition, checklist=survey_ready["checklist"], wave=survey_ready["wave"],
                       district=survey_ready["districts"][code], count=count, safety=0.5, seed=seed)


def test_the_beat_schedule_runs_the_nightly_task_which_publishes_before_it_asks_for_reports(
    responses, wave, settings
):
    entry = settings.CELERY_BEAT_SCHEDULE["regenerate-current-wave-reports"]
    assert entry["task"] == "reports.tasks.regenerate_current_wave"
    settings.REPORTS_NIGHTLY_LANGUAGES = ["ru"]
    settings.REPORTS_NIGHTLY_FORMATS = ["html"]
    assert latest_snapshot(wave) is None
    tasks.regenerate_current_wave.delay()
    snapshot = latest_snapshot(wave)
    assert snapshot is not None and snapshot.trigger == Snapshot.Trigger.NIGHTLY
    jobs = ReportJob.objects.filter(wave=wave)
    assert jobs.count() == 15
    # Each report was asked for from that snapshot: known at once, so it is reused by it.
    assert set(jobs.values_list("snapshot", flat=True)) == {snapshot.pk}
    assert all(job.publication for job in jobs)


def test_the_nightly_run_publishes_every_wave_that_changed_and_leaves_the_others(responses, wave, survey_ready,
                                                                                 definition):
    earlier = Wave.objects.create(code="2019", name="2019", starts_on=datetime.date(2019, 3, 1))
    seed_responses(definition=definition, checklist=survey_ready["checklist"], wave=earlier,
                   district=survey_ready["districts"]["KRG-TEM"], count=12, safety=0.5, seed=8)
    tasks.regenerate_current_wave.delay()
    before = {w.code: latest_snapshot(w).pk for w in (earlier, wave)}
    seed_responses(definition=definition, checklist=survey_ready["checklist"], wave=earlier,
                   district=survey_ready["districts"]["KRG-TEM"], count=1, safety=0.5, seed=9)  # a late paper sheet
    tasks.regenerate_current_wave.delay()
    # Both waves read 2019's responses (2020's trend and change), so both get a snapshot; 2020's
    # carries every unit forward (one response).
    after = {w.code: latest_snapshot(w) for w in (earlier, wave)}
    assert all(after[code].pk != before[code] for code in before)
    assert after["2020"].republished == [] and after["2019"].republished == []
    tasks.regenerate_current_wave.delay()
    assert {w.code: latest_snapshot(w).pk for w in (earlier, wave)} == {c: s.pk for c, s in after.items()}


def test_the_nightly_run_makes_a_snapshot_an_analyst_asked_for_whose_task_was_lost(responses, wave, analyst):
    queued = Snapshot.objects.create(wave=wave, trigger=Snapshot.Trigger.ANALYST, requested_by=analyst)
    tasks.regenerate_current_wave.delay()
    queued.refresh_from_db()
    assert queued.status == Snapshot.Status.DONE and queued.results["units"]["KRG-KZB"]["figures"]["n"] == 12


@pytest.fixture
def sent(monkeypatch):
    """(wave id, trigger) of every make_snapshot task sent."""
    calls = []
    monkeypatch.setattr(tasks.make_snapshot, "delay", lambda wave_id, trigger: calls.append((wave_id, trigger)))
    return calls


def test_closing_a_wave_sends_a_snapshot_task_once_the_transaction_commits(
    responses, wave, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        wave.is_open = False
        wave.save()
        assert sent == []  # not before the commit
    assert sent == [(wave.pk, Snapshot.Trigger.WAVE_CLOSED)]


def test_saving_an_open_wave_or_opening_one_sends_nothing(responses, wave, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        wave.name = "Spring 2020"
        wave.save()
        later = Wave.objects.create(code="2021", name="2021", starts_on=datetime.date(2021, 3, 1))
        later.name = "Spring 2021"
        later.save()
    assert sent == []


def test_closing_a_wave_in_the_admin_publishes_its_figures(
    responses, wave, admin_user, login, django_capture_on_commit_callbacks
):
    form = {"code": wave.code, "name": wave.name, "starts_on": "2020-03-01", "ends_on": "2020-06-30"}  # no is_open
    with django_capture_on_commit_callbacks(execute=True):
        page = login(admin_user).post(reverse("admin:surveys_wave_change", args=[wave.pk]), form)
    assert page.status_code == 302
    snapshot = latest_snapshot(wave)
    assert snapshot is not None and snapshot.trigger == Snapshot.Trigger.WAVE_CLOSED
    assert snapshot.results["units"]["region"]["figures"]["n"] == 23


def test_the_snapshot_tasks_acknowledge_late_and_retry_transient_errors():
    from django.db import OperationalError

    for task in (tasks.make_snapshot, tasks.fill_snapshot):
        assert task.acks_late is True and task.reject_on_worker_lost is True
        assert OperationalError in task.autoretry_for and task.max_retries >= 3


def test_a_snapshot_task_run_twice_publishes_once(responses, wave, analyst):
    queued = Snapshot.objects.create(wave=wave, trigger=Snapshot.Trigger.ANALYST, requested_by=analyst)
    tasks.fill_snapshot.delay(queued.pk)
    first = Snapshot.objects.get(pk=queued.pk)
    tasks.fill_snapshot.delay(queued.pk)
    assert Snapshot.objects.get(pk=queued.pk).created_at == first.created_at
    assert tasks.make_snapshot.delay(wave.pk, Snapshot.Trigger.WAVE_CLOSED).get() == queued.pk  # unchanged since
    assert Snapshot.objects.count() == 1


def test_a_failing_snapshot_task_marks_its_snapshot_failed(responses, wave, analyst, monkeypatch):
    from reports import snapshots
    from safetysurvey.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    queued = Snapshot.objects.create(wave=wave, trigger=Snapshot.Trigger.ANALYST, requested_by=analyst)
    monkeypatch.setattr(snapshots, "_publish", lambda *a, **k: (_ for _ in ()).throw(KeyError("weighted")))
    tasks.fill_snapshot.delay(queued.pk)
    queued.refresh_from_db()
    assert queued.status == Snapshot.Status.FAILED and "weighted" in queued.error
    assert latest_snapshot(wave) is None and snapshot_fill(snapshot_id=queued.pk).status == Snapshot.Status.FAILED


def test_a_report_job_publishes_first_when_the_wave_changed_since_its_last_snapshot(
    responses, wave, analyst, definition, survey_ready, django_capture_on_commit_callbacks, monkeypatch, tmp_path
):
    from django.core.files.storage import FileSystemStorage

    from reports import services
    from reports.models import ReportFile

    monkeypatch.setattr(ReportFile._meta.get_field("file"), "storage", FileSystemStorage(location=tmp_path))
    tasks.regenerate_current_wave.delay()
    published = latest_snapshot(wave)
    seed_responses(definition=definition, checklist=survey_ready["checklist"], wave=wave,
                   district=survey_ready["districts"]["KRG-KZB"], count=settings.REPORT_MIN_CELL, safety=0.5, seed=5)
    with django_capture_on_commit_callbacks(execute=True):
        job, reused = services.report_request(user=analyst, scope=survey_ready["districts"]["KRG-KZB"], wave=wave,
                                              language="en", formats=["html"])
    job.refresh_from_db()
    assert not reused and job.status == "done"
    assert job.snapshot.pk != published.pk and job.snapshot.trigger == Snapshot.Trigger.REPORT
    assert "KRG-KZB" in job.snapshot.republished
    assert "22" in job.files.get().file.read().decode()  # the district's 22 responses
