"""Progress of a running job: written to its row (throttled), shown on the page and in JSON."""

import pytest
from django.urls import reverse

from reports import services
from reports.models import ReportJob


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def running(analyst, wave):
    return ReportJob.objects.create(
        wave=wave, language="ru", formats="pdf", fingerprint="a" * 64, requested_by=analyst,
        status="running", attempts=1,
    )


def progress_of(job):
    job.refresh_from_db()
    return job.progress


def test_progress_is_written_at_most_once_per_interval_and_never_goes_back(running, settings):
    settings.REPORT_PROGRESS_SECONDS = 2
    clock = FakeClock()
    progress = services.ProgressWriter(running.pk, 1, clock=clock)
    progress(10)
    assert progress_of(running) == 10
    clock.now += 1
    progress(30)
    assert progress_of(running) == 10  # too soon: remembered, not written
    clock.now += 1.5
    progress(20)  # lower than what was reached: the bar does not go back
    assert progress_of(running) == 30


def test_progress_stops_at_99_until_the_files_are_stored(running, settings):
    settings.REPORT_PROGRESS_SECONDS = 0
    progress = services.ProgressWriter(running.pk, 1)
    progress(100)
    assert progress_of(running) == 99


def test_each_write_is_also_a_heartbeat(running, settings):
    settings.REPORT_PROGRESS_SECONDS = 0
    progress = services.ProgressWriter(running.pk, 1)
    progress(5)
    running.refresh_from_db()
    first = running.heartbeat_at
    progress(6)
    running.refresh_from_db()
    assert first is not None and running.heartbeat_at >= first


def test_a_part_of_the_job_maps_its_progress_onto_its_share_of_the_bar(running, settings):
    settings.REPORT_PROGRESS_SECONDS = 0
    progress = services.ProgressWriter(running.pk, 1)
    second_half = progress.part(50, 100)
    second_half(50)
    assert progress_of(running) == 75


def test_a_writer_whose_job_was_taken_over_raises_job_lost(running, settings):
    settings.REPORT_PROGRESS_SECONDS = 0
    progress = services.ProgressWriter(running.pk, 1)
    ReportJob.objects.filter(pk=running.pk).update(attempts=2)
    with pytest.raises(services.JobLost):
        progress(40)


def test_the_renderer_progress_reaches_the_row_while_the_job_runs(analyst, responses, wave, renderer, settings):
    settings.REPORT_PROGRESS_SECONDS = 0
    job = ReportJob.objects.create(wave=wave, language="ru", formats="html", fingerprint="b" * 64)
    seen = []
    renderer.during = lambda: seen.append(ReportJob.objects.values_list("status", "progress").get(pk=job.pk))
    services.report_generate(job_id=job.pk)
    # The first fifth of the bar is the snapshot the job publishes first (the wave had none),
    # the rest the rendering: the renderer's 50% is the job's 20 + 80 × 50%.
    assert seen == [("running", 60)]


def test_the_status_json_and_the_job_page_show_the_progress(login, analyst, running):
    ReportJob.objects.filter(pk=running.pk).update(progress=42)
    client = login(analyst)
    data = client.get(reverse("reports:job-status", args=[running.pk])).json()
    assert data["progress"] == 42 and data["status"] == "running" and data["finished"] is False
    page = client.get(reverse("reports:job", args=[running.pk])).content.decode()
    assert '<progress max="100" value="42"' in page
    assert f'data-job-status-url="{reverse("reports:job-status", args=[running.pk])}"' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page  # without JavaScript
    assert "js/reports.js" in page


def test_a_finished_job_page_lists_its_files_and_does_not_refresh(login, analyst, responses, wave, renderer):
    job = ReportJob.objects.create(wave=wave, language="ru", formats="html", fingerprint="c" * 64)
    services.report_generate(job_id=job.pk)
    page = login(analyst).get(reverse("reports:job", args=[job.pk])).content.decode()
    file = job.files.get()
    assert reverse("reports:download", args=[file.pk]) in page
    assert 'http-equiv="refresh"' not in page
    data = login(analyst).get(reverse("reports:job-status", args=[job.pk])).json()
    assert data["finished"] is True and data["files"][0]["url"] == reverse("reports:download", args=[file.pk])
