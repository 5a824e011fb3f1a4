"""Downloading report files: only through the permission-checked view, and always logged."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from reports import services
from reports.models import DownloadLog, ReportFile, ReportJob


@pytest.fixture
def made(responses, wave, renderer, district_a, district_b):
    """Finished jobs: the region, district A, district B, and an export-style job of A."""

    def make(district, formats="html"):
        job = ReportJob.objects.create(
            scope="district" if district else "region", district=district, wave=wave, language="ru",
            formats=formats, fingerprint="d" * 64,
        )
        services.report_generate(job_id=job.pk)
        return job

    return {"region": make(None), "A": make(district_a), "B": make(district_b)}


def download_url(job):
    return reverse("reports:download", args=[job.files.get().pk])


def test_an_analyst_downloads_a_file_as_an_attachment_and_the_download_is_logged(login, analyst, made):
    file = made["region"].files.get()
    response = login(analyst).get(download_url(made["region"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="region-2020-ru.html"'
    assert response["Content-Type"] == "text/html"
    assert b"".join(response.streaming_content).startswith(b"<html lang='ru'>")
    log = DownloadLog.objects.get()
    assert (log.user, log.username, log.file, log.job, log.filename, log.scope, log.wave, log.channel) == (
        analyst, "analyst", file, made["region"], "region-2020-ru.html", "region", "2020", "web"
    )
    assert log.downloaded_at is not None


def test_a_coordinator_downloads_their_district_but_not_another_or_the_region(login, coordinator, made):
    client = login(coordinator)
    assert client.get(download_url(made["A"])).status_code == 200
    assert client.get(download_url(made["B"])).status_code == 404
    assert client.get(download_url(made["region"])).status_code == 404
    assert list(DownloadLog.objects.values_list("scope", flat=True)) == ["KRG-KZB"]


def test_a_volunteer_is_refused_and_nothing_is_logged(login, volunteer_b, made):
    assert login(volunteer_b).get(download_url(made["B"])).status_code == 403
    assert not DownloadLog.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, made):
    response = client.get(download_url(made["A"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not DownloadLog.objects.exists()


def test_a_coordinator_cannot_download_an_export_even_of_their_district(login, coordinator, made, district_a):
    export = ReportJob.objects.create(scope="district", district=district_a, wave=made["A"].wave, language="ru",
                                      formats="tables_csv", fingerprint="e" * 64, status="done")
    file = ReportFile(job=export, format="tables_csv", filename="tables.csv", mimetype="text/csv", size=3)
    file.file.save("tables.csv", ContentFile(b"a,b"))
    assert login(coordinator).get(reverse("reports:download", args=[file.pk])).status_code == 403
    assert not DownloadLog.objects.exists()


def test_a_file_gone_from_storage_is_a_404_and_is_not_logged(login, analyst, made):
    file = made["region"].files.get()
    file.file.storage.delete(file.file.name)
    response = login(analyst).get(download_url(made["region"]))
    assert response.status_code == 404
    assert not DownloadLog.objects.exists()


def test_report_files_have_no_public_url(made, settings):
    file = made["region"].files.get()
    assert settings.MEDIA_URL not in download_url(made["region"])
    assert not file.file.path.startswith(str(settings.MEDIA_ROOT))


def test_the_admin_shows_the_download_log_and_the_jobs_read_only(login, admin_user, analyst, made):
    login(analyst).get(download_url(made["A"]))
    client = login(admin_user)
    page = client.get(reverse("admin:reports_downloadlog_changelist"))
    assert page.status_code == 200 and "KRG-KZB-2020-ru.html" in page.content.decode()
    assert client.get(reverse("admin:reports_downloadlog_add")).status_code == 403
    log = DownloadLog.objects.get()
    assert client.post(reverse("admin:reports_downloadlog_delete", args=[log.pk]), {"post": "yes"}).status_code == 403
    assert DownloadLog.objects.count() == 1
    jobs = client.get(reverse("admin:reports_reportjob_changelist"))
    assert jobs.status_code == 200
    detail = client.get(reverse("admin:reports_reportjob_change", args=[made["A"].pk])).content.decode()
    assert download_url(made["A"]) in detail  # files link to the logged view, not to storage
