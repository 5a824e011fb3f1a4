"""In a real browser: the coordinator uploads a file, lands on the import job's page at once
while the job is still checking, and the page (polling the job, as report pages do) shows
what was stored as soon as the job is over. Without a broker, as `make run` runs it."""

import threading

import pytest
from django.test import Client
from django.utils import translation

from surveys import paper_import_jobs
from surveys.paper_import_jobs import IMPORT_COMMITTED
from surveys.paper_models import ImportJob, PaperEntry

from .importing import csv_bytes, template_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_of(browser, live_server):
    """page_of(user) -> a Playwright page logged in as that user (session cookie, no typing)."""
    contexts = []

    def _page(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield _page
    for context in contexts:
        context.close()


def test_the_job_page_shows_the_progress_then_what_was_stored(
    live_server, page_of, coordinator, paper_batch, definition, sheet_answers, settings, monkeypatch, tmp_path
):
    settings.REPORTS_RUN_IN_THREAD = True  # no broker: the job runs in a thread of the server
    started, release = threading.Event(), threading.Event()
    real_read = paper_import_jobs.read_table

    def held(*args, **kwargs):
        started.set()
        release.wait(20)
        return real_read(*args, **kwargs)

    monkeypatch.setattr(paper_import_jobs, "read_table", held)
    serials = paper_batch.sheets.order_by("number").values_list("serial", flat=True)
    upload = tmp_path / "entries.csv"
    upload.write_bytes(csv_bytes(template_rows(definition, [(serial, sheet_answers) for serial in serials])))

    page = page_of(coordinator)
    page.goto(f"{live_server.url}/volunteer/batches/{paper_batch.pk}/import/")
    page.set_input_files("input[type=file]", str(upload))
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/volunteer/imports/*/")
    assert started.wait(15), "the job did not start"
    assert page.locator(".job-progress progress").is_visible()
    assert ImportJob.objects.get().status == "checking"
    release.set()
    page.locator(".message.success").wait_for()  # the poller reloaded the page once the job was over
    with translation.override("ru"):
        expected = str(IMPORT_COMMITTED % {"entries": 3, "first": 3, "committed": 0, "conflicts": 0})
    assert expected in page.locator(".message.success").inner_text()
    assert page.locator(".job-progress").count() == 0
    assert PaperEntry.objects.count() == 3
