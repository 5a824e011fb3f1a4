"""POST /api/v1/reports/ and GET /api/v1/reports/{id}/: request, follow and download over the API."""

import pytest
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from reports import services
from reports.api import UNKNOWN_SCOPE, UNKNOWN_WAVE
from reports.models import DownloadLog, ReportJob
from surveys import parsers

URL = "/api/v1/reports/"


@pytest.fixture
def api():
    def as_user(user=None, token=False):
        client = APIClient()
        if user is not None and token:
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        elif user is not None:
            client.force_authenticate(user)
        return client

    return as_user


@pytest.fixture
def no_broker(monkeypatch):
    monkeypatch.setattr(services, "_enqueue", lambda job_id, **where: None)


def body(scope="region", wave="2020", language="ru", formats=("pdf", "html")):
    return {"scope": scope, "wave": wave, "language": language, "formats": list(formats)}


def test_a_request_is_accepted_with_202_and_the_queued_job(api, analyst, responses, no_broker):
    response = api(analyst).post(URL, body(), format="json")
    assert response.status_code == 202
    job = ReportJob.objects.get()
    data = response.json()
    assert data["id"] == job.pk and data["status"] == "queued" and data["progress"] == 0
    assert (data["scope"], data["wave"], data["formats"], data["requested_by"]) == (
        "region", "2020", ["html", "pdf"], "analyst"
    )
    assert data["fingerprint"] == job.fingerprint and data["files"] == []


def test_an_unchanged_request_returns_the_finished_job_with_200(api, analyst, responses, renderer,
                                                                django_capture_on_commit_callbacks):
    client = api(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL, body(formats=["html"]), format="json")
    assert first.status_code == 202
    again = client.post(URL, body(formats=["html"]), format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "done" and len(renderer.calls) == 1


def test_the_job_shows_its_status_progress_and_file_links_that_download_and_log(
    api, analyst, responses, renderer, django_capture_on_commit_callbacks
):
    client = api(analyst, token=True)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post(URL, body(scope="KRG-KZB", formats=["html"]), format="json").json()["id"]
    data = client.get(f"{URL}{job_id}/").json()
    assert (data["status"], data["progress"]) == ("done", 100)
    (file,) = data["files"]
    assert file["format"] == "html" and file["filename"] == "KRG-KZB-2020-ru.html" and file["size"] > 0
    assert file["url"].startswith("http://testserver/api/v1/reports/")
    download = client.get(file["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"<html")
    log = DownloadLog.objects.get()
    assert (log.user, log.channel, log.filename) == (analyst, "api", "KRG-KZB-2020-ru.html")


def test_bad_input_is_a_400_with_field_messages(api, analyst, responses, no_broker):
    response = api(analyst).post(
        URL, {"scope": "KRG-XXX", "wave": "1999", "language": "de", "formats": ["docx"]}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"scope", "wave", "language", "formats"}
    with translation.override("ru"):  # the default language of the site
        assert errors["wave"] == [str(UNKNOWN_WAVE)] and errors["scope"] == [str(UNKNOWN_SCOPE)]
    missing = api(analyst).post(URL, {}, format="json")
    assert missing.status_code == 400 and set(missing.json()) == {"scope", "wave", "language", "formats"}
    assert api(analyst).post(URL, body(formats=[]), format="json").status_code == 400
    assert not ReportJob.objects.exists()


def test_a_nul_character_in_the_body_is_refused_with_400(api, analyst, responses, no_broker):
    # PostgreSQL cannot compare text holding NUL: looking up this wave code was a DataError, a 500.
    response = api(analyst).post(URL, body(wave="20\x0020"), format="json")
    assert response.status_code == 400
    with translation.override("ru"):
        assert response.json() == {"detail": str(parsers.UNSTORABLE)}
    assert not ReportJob.objects.exists()


def test_ids_too_large_for_the_database_are_a_json_404(api, analyst, responses):
    # SQLite raised OverflowError on the job id of a file (a 500).
    for path in (f"{URL}{2**63}/", f"{URL}1/files/{2**63}/", f"{URL}{2**64}/files/1/"):
        response = api(analyst).get(path)
        assert response.status_code == 404 and set(response.json()) == {"detail"}, path


def test_a_city_with_districts_is_a_field_error(api, analyst, responses, no_broker):
    response = api(analyst).post(URL, body(scope="KRG-KAR"), format="json")
    assert response.status_code == 400 and "scope" in response.json()


def test_a_coordinator_may_request_their_district_but_not_another_or_the_region(
    api, coordinator, responses, no_broker
):
    client = api(coordinator)
    assert client.post(URL, body(scope="KRG-KZB"), format="json").status_code == 202
    assert client.post(URL, body(scope="KRG-TEM"), format="json").status_code == 403
    assert client.post(URL, body(scope="region"), format="json").status_code == 403
    assert client.post(URL, body(scope="KRG-KZB", formats=["microdata_sav"]), format="json").status_code == 403
    assert ReportJob.objects.count() == 1


def test_another_districts_job_is_not_found_for_a_coordinator(api, coordinator, analyst, responses, no_broker):
    other = api(analyst).post(URL, body(scope="KRG-TEM"), format="json").json()["id"]
    assert api(coordinator).get(f"{URL}{other}/").status_code == 404
    assert api(coordinator).get(f"{URL}{other}/files/1/").status_code == 404


@pytest.mark.parametrize("who", ["volunteer_b", "anonymous"])
def test_volunteers_and_anonymous_callers_are_refused(api, request, responses, no_broker, who):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = api(user)
    assert client.post(URL, body(), format="json").status_code in (401, 403)
    assert client.get(f"{URL}1/").status_code in (401, 403)
    assert client.get("/api/v1/aggregates/?wave=2020").status_code in (401, 403)
    assert not ReportJob.objects.exists()


def test_the_endpoints_are_in_the_openapi_schema(api, analyst):
    schema = api(analyst).get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/reports/", "/api/v1/reports/{job_id}/", "/api/v1/reports/{job_id}/files/{file_id}/",
            "/api/v1/aggregates/"} <= set(paths)
    assert set(paths["/api/v1/reports/"]["post"]["responses"]) >= {"200", "202", "400", "403"}
