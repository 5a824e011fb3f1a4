"""Importing a file over the API: POST answers 202 at once with the job's URL; the job
resource gives its status, progress, and then the outcome or every problem (issue 9,
item 4). The same rules as the page: coordinators of the batch's district, all or nothing."""

import json

import pytest
from django.template.defaultfilters import filesizeformat
from django.test import TestCase
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from checklist.answers import NOT_AN_OPTION
from surveys.paper_import import BROKEN_XLSX, FILE_TOO_LARGE
from surveys.paper_models import ImportJob, PaperEntry
from surveys.paper_services import batch_create

from .importing import a_file, csv_bytes, in_russian, sheet_xml, template_rows, workbook
from .test_api_schema import validate

JOB_PATH = "/api/v1/paper/imports/{id}/"
CREATE_PATH = "/api/v1/paper/batches/{id}/imports/"


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def post(client, batch, file, run=True, **extra):
    """POST the file; with `run`, the job's task runs as the upload commits (as a worker would)."""
    url = reverse("paper-import-create", args=[batch.pk])
    with TestCase.captureOnCommitCallbacks(execute=run):
        return client.post(url, {"file": file}, format="multipart", **extra)


@pytest.fixture
def schema(client, db):
    return json.loads(client.get("/api/schema/", {"format": "json"}).content)


@pytest.fixture
def sheets(paper_batch):
    return list(paper_batch.sheets.order_by("number"))


@pytest.fixture
def good_file(definition, sheets, sheet_answers):
    return csv_bytes(template_rows(definition, [(sheet.serial, sheet_answers) for sheet in sheets]))


def test_a_file_is_accepted_at_once_with_202_and_the_url_of_its_job(coordinator, paper_batch, good_file, schema):
    response = post(api_as(coordinator), paper_batch, a_file(good_file), run=False)
    assert response.status_code == 202
    job = ImportJob.objects.get()
    body = response.json()
    assert body["url"] == response["Location"] == f"http://testserver{reverse('paper-import-detail', args=[job.pk])}"
    assert (body["status"], body["finished"], body["progress"], body["batch"]) == ("uploaded", False, 0, paper_batch.pk)
    assert body["uploaded_by"] == "coordinator" and body["size"] == len(good_file)
    assert not PaperEntry.objects.exists()  # the job has not run yet
    validate(schema, CREATE_PATH, "post", 202, body)


def test_the_job_gives_its_status_progress_and_outcome(coordinator, paper_batch, good_file, schema):
    client = api_as(coordinator)
    job_url = post(client, paper_batch, a_file(good_file))["Location"]
    body = client.get(job_url).json()
    assert (body["status"], body["finished"], body["progress"]) == ("committed", True, 100)
    assert (body["rows_checked"], body["rows_total"]) == (3, 3)
    assert body["outcome"] == {"entries": 3, "first_entries": 3, "committed": 0, "conflicts": 0}
    assert body["row_errors"] == [] and body["error"] == ""
    assert PaperEntry.objects.count() == 3
    validate(schema, JOB_PATH, "get", 200, body)


def test_a_file_with_one_bad_row_stores_nothing_and_its_job_lists_the_row(
    coordinator, paper_batch, sheets, definition, sheet_answers, schema
):
    rows = [(sheets[0].serial, sheet_answers), (sheets[1].serial, {**sheet_answers, "safe_walk_day": 7})]
    client = api_as(coordinator)
    body = client.get(post(client, paper_batch, a_file(csv_bytes(template_rows(definition, rows))))["Location"]).json()
    assert (body["status"], body["outcome"], body["row_error_count"]) == ("failed", None, 1)
    assert body["row_errors"] == [{"row": 3, "column": "safe_walk_day", "message": in_russian(NOT_AN_OPTION)}]
    assert not PaperEntry.objects.exists()
    validate(schema, JOB_PATH, "get", 200, body)


def test_a_malformed_file_fails_its_job_with_a_message_in_the_callers_language(coordinator, paper_batch, good_file):
    client = api_as(coordinator)
    broken = workbook(sheet_xml([["serial"], ["x"]])[:-30])
    body = client.get(post(client, paper_batch, a_file(broken, "entries.xlsx"), HTTP_ACCEPT_LANGUAGE="kk")["Location"])
    body = body.json()
    with translation.override("kk"):
        assert body["status"] == "failed" and body["error"] == str(BROKEN_XLSX)
    assert not PaperEntry.objects.exists()


def test_a_file_over_the_size_limit_is_refused_with_413_and_no_job(coordinator, paper_batch, settings, monkeypatch):
    settings.PAPER_IMPORT_MAX_BYTES = 1000
    monkeypatch.setattr("surveys.paper_import_jobs.read_table", lambda *a, **k: pytest.fail("read"))
    client = api_as(coordinator)
    with translation.override("ru"):
        message = str(FILE_TOO_LARGE % {"limit": filesizeformat(1000)})
    for size in (2000, 200_000):  # over the limit; and so far over that the declared length refuses it unread
        response = post(client, paper_batch, a_file(b"serial\n" + b"1" * size))
        assert response.status_code == 413 and response.json() == {"detail": message}, size
    assert not ImportJob.objects.exists()


def test_a_request_without_a_file_or_with_an_empty_one_is_a_400(coordinator, paper_batch):
    client = api_as(coordinator)
    url = reverse("paper-import-create", args=[paper_batch.pk])
    assert set(client.post(url, {}, format="multipart").json()) == {"file"}
    assert set(client.post(url, {"file": a_file(b"")}, format="multipart").json()) == {"file"}
    assert client.post(url, {"file": "x"}, format="json").status_code == 415
    assert not ImportJob.objects.exists()


def test_only_coordinators_of_the_batchs_district_import_and_follow_the_job(
    coordinator, volunteer_a, analyst, admin_user, survey_ready, district_b, paper_batch, good_file
):
    batch_b = batch_create(
        district=district_b, wave=survey_ready["wave"], language="ru", size=1, created_by=admin_user,
        render_pdf=False,
    )
    for user in (volunteer_a, analyst):
        assert post(api_as(user), paper_batch, a_file(good_file)).status_code == 403
    assert post(api_as(coordinator), batch_b, a_file(good_file)).status_code == 403
    assert APIClient().post(reverse("paper-import-create", args=[paper_batch.pk])).status_code == 403
    assert not ImportJob.objects.exists()
    job_url = post(api_as(admin_user), batch_b, a_file(good_file))["Location"]
    assert api_as(coordinator).get(job_url).status_code == 403
    assert api_as(admin_user).get(job_url).status_code == 200
    assert api_as(coordinator).get(JOB_PATH.format(id=10**9)).status_code == 404
    assert post(api_as(coordinator), paper_batch.__class__(pk=10**9), a_file(good_file)).status_code == 404


def test_a_refused_multipart_body_is_a_json_400_not_a_page(coordinator, paper_batch, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    url = reverse("paper-import-create", args=[paper_batch.pk])
    response = api_as(coordinator).post(url, {"file": [a_file(b"a"), a_file(b"b")]}, format="multipart")
    assert response.status_code == 400 and "detail" in response.json()

