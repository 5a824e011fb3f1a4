"""A batch created while the broker (Redis) is down is stored with its serials, and its PDF
says why it was not made, with "Render the PDF again" on offer; no 500.
(tests/ops/test_redis_down.py does the same against a real, stopped Redis.)"""

import kombu.exceptions
import pytest
from django.utils import translation

from surveys import tasks
from surveys.paper_models import Batch
from surveys.paper_services import PDF_NOT_QUEUED


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.render_batch_pdf, "delay", refuse)


def _russian(message) -> str:
    with translation.override("ru"):
        return str(message)


def test_a_batch_created_while_the_broker_is_down_is_stored_and_says_its_pdf_was_not_queued(
    login, coordinator, survey_ready, district_a, broker_down, caplog, django_capture_on_commit_callbacks
):
    client = login(coordinator)
    data = {"district": district_a.pk, "wave": survey_ready["wave"].pk, "language": "ru", "size": "3"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/volunteer/batches/new/", data, HTTP_ACCEPT_LANGUAGE="ru")
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/volunteer/batches/{batch.pk}/"
    assert batch.sheets.count() == 3
    assert batch.pdf_status == Batch.PdfStatus.FAILED and batch.pdf_error == _russian(PDF_NOT_QUEUED)
    page = client.get(response["Location"]).content.decode()
    assert _russian(PDF_NOT_QUEUED) in page
    assert f"/volunteer/batches/{batch.pk}/render/" in page  # "Render the PDF again"
    assert f"Could not send the PDF of batch {batch.pk} to the broker" in caplog.text


def test_rendering_again_while_the_broker_is_still_down_says_so_again(
    login, coordinator, paper_batch, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(coordinator).post(f"/volunteer/batches/{paper_batch.pk}/render/")
    assert response.status_code == 302
    paper_batch.refresh_from_db()
    assert paper_batch.pdf_status == Batch.PdfStatus.FAILED and paper_batch.pdf_error == _russian(PDF_NOT_QUEUED)


def test_with_the_broker_back_rendering_again_queues_the_pdf(
    login, coordinator, paper_batch, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(tasks.render_batch_pdf, "delay", sent.append)
    Batch.objects.filter(pk=paper_batch.pk).update(pdf_status=Batch.PdfStatus.FAILED, pdf_error="...")
    with django_capture_on_commit_callbacks(execute=True):
        assert login(coordinator).post(f"/volunteer/batches/{paper_batch.pk}/render/").status_code == 302
    paper_batch.refresh_from_db()
    assert sent == [paper_batch.pk]
    assert (paper_batch.pdf_status, paper_batch.pdf_error) == (Batch.PdfStatus.PENDING, "")
