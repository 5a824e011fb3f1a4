"""An import's row errors name another batch only when it is one the uploader works on: a
serial of another district's batch is "a district you do not work in", as when keying it,
without that batch's district, wave or number."""


import pytest
from django.utils import translation

from surveys.paper_models import PaperEntry
from surveys.paper_services import SERIAL_NOT_YOURS, SERIAL_OTHER_BATCH, batch_create
from tests.surveys.importing import a_file, csv_bytes, template_rows, upload


def ru(message) -> str:
    with translation.override("ru"):
        return str(message)


def upload_rows(client, batch, definition, rows):
    """Upload the rows as a filled-in template, run the import job, return the job's page."""
    _job, page = upload(client, batch, a_file(csv_bytes(template_rows(definition, rows))))
    return page


def serial_errors(response) -> dict[int, str]:
    return {error["row"]: error["message"] for error in response.context["row_errors"] if error["column"] == "serial"}


@pytest.fixture
def batch_of_another_district(survey_ready, district_b, admin_user):
    return batch_create(
        district=district_b, wave=survey_ready["wave"], language="kk", size=1, created_by=admin_user, render_pdf=False
    )


@pytest.fixture
def another_batch_of_the_same_district(survey_ready, district_a, coordinator):
    return batch_create(
        district=district_a, wave=survey_ready["wave"], language="ru", size=1, created_by=coordinator, render_pdf=False
    )


def test_a_serial_of_another_districts_batch_is_refused_without_naming_that_batch(
    login, coordinator, paper_batch, batch_of_another_district, definition, sheet_answers
):
    foreign = batch_of_another_district.sheets.get()
    response = upload_rows(login(coordinator), paper_batch, definition, [(foreign.serial, sheet_answers)])
    assert response.status_code == 200
    assert serial_errors(response) == {2: ru(SERIAL_NOT_YOURS)}
    assert batch_of_another_district.label not in response.content.decode()
    assert not PaperEntry.objects.exists()


def test_a_serial_of_another_batch_of_the_users_own_district_still_names_it(
    login, coordinator, paper_batch, another_batch_of_the_same_district, definition, sheet_answers
):
    other = another_batch_of_the_same_district.sheets.get()
    response = upload_rows(login(coordinator), paper_batch, definition, [(other.serial, sheet_answers)])
    assert serial_errors(response) == {2: ru(SERIAL_OTHER_BATCH) % {"batch": another_batch_of_the_same_district.label}}


def test_the_admin_who_works_everywhere_is_told_the_other_districts_batch(
    login, admin_user, paper_batch, batch_of_another_district, definition, sheet_answers
):
    foreign = batch_of_another_district.sheets.get()
    response = upload_rows(login(admin_user), paper_batch, definition, [(foreign.serial, sheet_answers)])
    assert serial_errors(response) == {2: ru(SERIAL_OTHER_BATCH) % {"batch": batch_of_another_district.label}}
