"""/reports/: who sees the page, what they may choose, requesting, and the finished list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from reports import services
from reports.forms import CHOOSE_A_SCOPE
from reports.models import ReportJob

URL = "/reports/"


def choices(page: str, name: str) -> str:
    start = page.index(f'name="{name}"')
    return page[start : page.index("</select>", start)]


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_volunteer_is_refused(login, volunteer_b):
    assert login(volunteer_b).get(URL).status_code == 403
    assert login(volunteer_b).post(URL, {"kind": "report"}).status_code == 403


def test_an_analyst_may_choose_the_region_every_district_and_the_exports(login, analyst, survey_ready):
    page = login(analyst).get(URL).content.decode()
    scopes = choices(page, "scope")
    assert 'value="region"' in scopes and 'value="KRG-KZB"' in scopes and 'value="KRG-TEM"' in scopes
    assert 'value="KRG-KAR"' not in scopes  # Karaganda city is answered for by its two districts
    assert 'value="microdata_sav"' in page and 'value="tables_xlsx"' in page


def test_a_coordinator_may_choose_only_their_district_and_no_exports(login, coordinator, survey_ready):
    page = login(coordinator).get(URL).content.decode()
    scopes = choices(page, "scope")
    assert 'value="KRG-KZB"' in scopes
    assert 'value="region"' not in scopes and 'value="KRG-TEM"' not in scopes
    assert "microdata" not in page


def test_requesting_a_report_queues_it_and_shows_its_progress_page(login, analyst, responses, wave, monkeypatch):
    monkeypatch.setattr(services, "_enqueue", lambda job_id, **where: None)
    response = login(analyst).post(
        URL, {"kind": "report", "scope": "KRG-KZB", "wave": wave.code, "language": "kk", "formats": ["pdf"]}
    )
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:job", args=[job.pk])
    assert (job.district.code, job.language, job.formats, job.status) == ("KRG-KZB", "kk", "pdf", "queued")


def test_a_coordinator_posting_another_district_gets_a_field_error_and_no_job(login, coordinator, responses, wave):
    response = login(coordinator).post(
        URL, {"kind": "report", "scope": "KRG-TEM", "wave": wave.code, "language": "ru", "formats": ["pdf"]}
    )
    assert response.status_code == 400
    with translation.override("ru"):
        assert response.context["report_form"].errors["scope"] == [str(CHOOSE_A_SCOPE)]
    assert not ReportJob.objects.exists()


def test_a_coordinator_posting_an_export_is_refused(login, coordinator, responses, wave):
    response = login(coordinator).post(
        URL, {"kind": "export", "scope": "KRG-KZB", "wave": wave.code, "language": "ru", "formats": ["microdata_csv"]}
    )
    assert response.status_code == 403 and not ReportJob.objects.exists()


def test_a_request_without_formats_says_so_in_the_users_language(login, analyst, responses, wave):
    response = login(analyst).post(
        URL, {"kind": "report", "scope": "region", "wave": wave.code, "language": "ru"}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 400
    assert "Обязательное поле." in response.content.decode()


def test_finished_reports_are_listed_with_their_date_fingerprint_and_files(login, analyst, responses, wave, renderer):
    job = ReportJob.objects.create(wave=wave, language="ru", formats="html", fingerprint="0123456789abcdef" * 4)
    services.report_generate(job_id=job.pk)
    page = login(analyst).get(URL).content.decode()
    assert "0123456789ab" in page and 'title="' + job.fingerprint + '"' in page
    assert reverse("reports:download", args=[job.files.get().pk]) in page


def test_the_list_costs_the_same_queries_for_three_reports_or_thirty(
    login, analyst, responses, wave, renderer, django_assert_max_num_queries, district_a
):
    def finish(count):
        for _ in range(count):
            job = ReportJob.objects.create(scope="district", district=district_a, wave=wave, language="ru",
                                           formats="html", fingerprint="q" * 64)
            services.report_generate(job_id=job.pk)

    client = login(analyst)
    finish(3)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    finish(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(URL)
    assert page.content.decode().count("KRG-KZB-2020-ru.html") == 25  # one page of the list


@pytest.mark.parametrize("status", ["queued", "running"])
def test_jobs_being_made_show_a_live_progress_bar(login, analyst, wave, status):
    job = ReportJob.objects.create(wave=wave, language="ru", formats="pdf", fingerprint="p" * 64, status=status,
                                   progress=30)
    page = login(analyst).get(URL).content.decode()
    assert f'data-job-status-url="{reverse("reports:job-status", args=[job.pk])}"' in page
    assert 'data-finished="0"' in page


def test_a_coordinator_does_not_see_another_districts_jobs(login, coordinator, wave, district_b):
    job = ReportJob.objects.create(scope="district", district=district_b, wave=wave, language="ru", formats="pdf",
                                   fingerprint="x" * 64)
    client = login(coordinator)
    assert reverse("reports:job", args=[job.pk]) not in client.get(URL).content.decode()
    assert client.get(reverse("reports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:job-status", args=[job.pk])).status_code == 404


def test_the_districts_are_in_the_order_of_the_kazakh_alphabet(login, analyst, survey_ready):
    # Code-point order would put Қазыбек би and Қарқаралы after Шет (Қ is U+049A).
    with translation.override("kk"):
        page = login(analyst).get(URL, headers={"accept-language": "kk"}).content.decode()
    scopes = choices(page, "scope")
    names = [option.split(">", 1)[1].split("<", 1)[0] for option in scopes.split("<option")[2:]]
    assert names.index("Қазыбек би ауданы") < names.index("Нұра ауданы") < names.index("Шет ауданы")
