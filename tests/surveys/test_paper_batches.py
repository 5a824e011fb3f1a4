"""Coordinators create batches of numbered sheets for their districts and download the PDF."""

import pytest
from django.urls import reverse

from surveys.paper_models import Batch, Sheet
from surveys.paper_services import (
    BATCH_TOO_LARGE,
    DISTRICT_TAKES_NO_SHEETS,
    PaperRejected,
    batch_create,
    batch_render_pdf,
)
from surveys.serials import serial_problem


def test_sheets_are_numbered_on_from_the_last_batch_of_the_district_and_wave(
    survey_ready, district_a, district_b, coordinator
):
    wave = survey_ready["wave"]
    first = batch_create(
        district=district_a, wave=wave, language="ru", size=3, created_by=coordinator, render_pdf=False
    )
    other = batch_create(
        district=district_b, wave=wave, language="kk", size=2, created_by=coordinator, render_pdf=False
    )
    second = batch_create(
        district=district_a, wave=wave, language="kk", size=2, created_by=coordinator, render_pdf=False
    )
    assert list(first.sheets.values_list("number", flat=True)) == [1, 2, 3]
    assert list(second.sheets.values_list("number", flat=True)) == [4, 5]
    assert list(other.sheets.values_list("number", flat=True)) == [1, 2]
    serials = list(Sheet.objects.values_list("serial", flat=True))
    assert len(set(serials)) == 7 and all(serial_problem(serial) is None for serial in serials)
    assert second.sheets.first().serial.startswith("KRG-KZB-2020-000004-")


def test_a_batch_for_a_whole_region_is_refused(survey_ready, districts, coordinator):
    with pytest.raises(PaperRejected) as refused:
        batch_create(
            district=districts["KRG"], wave=survey_ready["wave"], language="ru", size=3, created_by=coordinator
        )
    assert refused.value.errors == {"district": [str(DISTRICT_TAKES_NO_SHEETS)]}
    assert not Batch.objects.exists()


def test_a_batch_larger_than_the_limit_is_refused(survey_ready, district_a, coordinator, settings):
    settings.PAPER_BATCH_MAX_SHEETS = 10
    with pytest.raises(PaperRejected) as refused:
        batch_create(district=district_a, wave=survey_ready["wave"], language="ru", size=11, created_by=coordinator)
    assert refused.value.errors == {"size": [str(BATCH_TOO_LARGE % {"limit": 10})]}


class TestTheBatchPages:
    def test_a_coordinator_creates_a_batch_and_downloads_its_pdf(
        self, login, coordinator, survey_ready, district_a, media_root, django_capture_on_commit_callbacks
    ):
        client = login(coordinator)
        page = client.get(reverse("paper:batch_new"))
        assert page.status_code == 200 and "KRG-KZB" in page.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            created = client.post(
                reverse("paper:batch_new"),
                {"district": district_a.pk, "wave": survey_ready["wave"].pk, "language": "kk", "size": 2},
            )
        batch = Batch.objects.get()
        assert created.status_code == 302 and created.url == reverse("paper:batch", args=[batch.pk])
        assert (batch.language, batch.size, batch.created_by) == ("kk", 2, coordinator)
        download = client.get(reverse("paper:batch_pdf", args=[batch.pk]))
        assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content).startswith(b"%PDF")

    def test_the_district_list_offers_only_the_coordinators_districts(self, login, coordinator, survey_ready):
        page = login(coordinator).get(reverse("paper:batch_new")).content.decode()
        assert "KRG-KZB" in page and "KRG-TEM" not in page

    def test_a_batch_for_another_district_cannot_be_created(self, login, coordinator, survey_ready, district_b):
        response = login(coordinator).post(
            reverse("paper:batch_new"),
            {"district": district_b.pk, "wave": survey_ready["wave"].pk, "language": "ru", "size": 2},
        )
        assert response.status_code == 200 and not Batch.objects.exists()
        assert response.context["form"].errors["district"]

    def test_a_volunteer_cannot_create_batches(self, login, volunteer_a, survey_ready):
        assert login(volunteer_a).get(reverse("paper:batch_new")).status_code == 403

    def test_the_batch_page_tells_while_the_pdf_is_being_prepared(self, login, coordinator, paper_batch):
        page = login(coordinator).get(reverse("paper:batch", args=[paper_batch.pk]))
        assert page.status_code == 200
        assert '<meta http-equiv="refresh"' in page.content.decode()
        assert login(coordinator).get(reverse("paper:batch_pdf", args=[paper_batch.pk])).status_code == 302

    def test_the_batch_page_lists_its_sheets_without_a_query_per_sheet(
        self, login, coordinator, paper_batch, django_assert_max_num_queries
    ):
        client = login(coordinator)
        client.get(reverse("paper:batch", args=[paper_batch.pk]))
        with django_assert_max_num_queries(14):
            page = client.get(reverse("paper:batch", args=[paper_batch.pk]))
        for sheet in paper_batch.sheets.all():
            assert sheet.serial in page.content.decode()

    def test_a_volunteer_of_another_district_cannot_see_the_batch_or_its_pdf(
        self, login, volunteer_b, paper_batch, media_root
    ):
        batch_render_pdf(batch_id=paper_batch.pk)
        client = login(volunteer_b)
        assert client.get(reverse("paper:batch", args=[paper_batch.pk])).status_code == 403
        assert client.get(reverse("paper:batch_pdf", args=[paper_batch.pk])).status_code == 403
        home = client.get(reverse("paper:home"))
        assert home.status_code == 200 and f"#{paper_batch.pk}" not in home.content.decode()

    def test_the_volunteer_home_lists_the_batches_of_their_district(self, login, volunteer_a, paper_batch):
        page = login(volunteer_a).get(reverse("paper:home")).content.decode()
        assert reverse("paper:batch", args=[paper_batch.pk]) in page

    def test_anonymous_visitors_are_sent_to_log_in_and_analysts_are_refused(self, client, analyst, login, paper_batch):
        assert client.get(reverse("paper:home")).url.startswith(reverse("login"))
        assert login(analyst).get(reverse("paper:home")).status_code == 403
