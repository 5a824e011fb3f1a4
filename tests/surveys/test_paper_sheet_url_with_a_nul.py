"""A sheet URL whose serial holds a NUL character, or is no serial at all, is a 404: only a
well-formed serial can name a sheet, so nothing else is looked up (PostgreSQL cannot compare
text holding a NUL, which was a 500)."""

import pytest

from surveys.paper_models import Sheet

PAGES = ["/volunteer/sheets/{}/", "/volunteer/sheets/{}/reconcile/", "/volunteer/sheets/{}/edit/"]


@pytest.fixture
def serial(paper_batch):
    return paper_batch.sheets.order_by("number").first().serial


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("text", ["KRG%00X", "%00", "{serial}%00"], ids=["short", "only a NUL", "serial + NUL"])
def test_a_sheet_page_with_a_nul_in_its_serial_is_404(login, coordinator, serial, page, text):
    response = login(coordinator).get(page.format(text.format(serial=serial)))
    assert response.status_code == 404


@pytest.mark.parametrize("text", ["KRG%00X", "{serial}%00"], ids=["short", "serial + NUL"])
def test_voiding_a_sheet_with_a_nul_in_its_serial_is_404_and_voids_nothing(login, coordinator, serial, text):
    url = f"/volunteer/sheets/{text.format(serial=serial)}/void/"
    response = login(coordinator).post(url, {"reason": "spoiled"})
    assert response.status_code == 404
    assert not Sheet.objects.filter(status=Sheet.Status.VOID).exists()


def test_the_keying_page_with_a_nul_in_its_serial_sends_the_volunteer_back_to_the_serial_form(
    login, volunteer_a, paper_batch
):
    response = login(volunteer_a).get("/volunteer/enter/KRG%00X/")
    assert response.status_code == 302 and response["Location"] == "/volunteer/enter/"


def test_a_well_formed_serial_still_opens_its_sheet_in_any_letter_case(login, coordinator, serial):
    assert login(coordinator).get(f"/volunteer/sheets/{serial.lower()}/").status_code == 200
