"""A paper response is tied to its sheet by the sheet itself, never through the key space that
clients write to: the key a client could derive from a printed serial names nothing, reads
nothing and captures nothing (issue 9, item 1)."""

import uuid

import pytest
from rest_framework.test import APIClient

from surveys.models import Response
from surveys.paper_models import ImportJob, Sheet
from tests.surveys.importing import a_file, csv_bytes, template_rows, upload

RESPONSES = "/api/v1/responses/"
ENTRIES = "/api/v1/paper/entries/"
# The namespace the source once published: a committed sheet's response was stored under
# uuid5(namespace, serial), and serials are printed, sequential and their check character public.
OLD_PAPER_NAMESPACE = uuid.UUID("8d0f6a52-3f1e-4c57-9a53-2f0c8e1b7a41")


def old_key(sheet) -> str:
    return str(uuid.uuid5(OLD_PAPER_NAMESPACE, sheet.serial))


@pytest.fixture
def sheet(paper_batch):
    return paper_batch.sheets.order_by("number").first()


def key(user, sheet, answers):
    """One keying of the sheet through the paper API, as `user`."""
    api = APIClient()
    api.force_authenticate(user)
    response = api.post(ENTRIES, {"serial": sheet.serial, "answers": answers}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def attack(client, sheet, valid_answers):
    """What the review sent: the sheet's derived key, with a body of another district and language."""
    body = {"district": "KRG-TEM", "language": "en", "answers": valid_answers, "client_id": old_key(sheet)}
    return client.post(RESPONSES, body, content_type="application/json")


def test_a_committed_paper_response_has_no_client_id(sheet, volunteer_a, volunteer_a2, sheet_answers):
    key(volunteer_a, sheet, sheet_answers)
    assert key(volunteer_a2, sheet, sheet_answers)["committed"] is True
    sheet.refresh_from_db()
    assert sheet.response.channel == Response.Channel.PAPER
    assert sheet.response.client_id is None


def test_the_key_derived_from_a_committed_sheets_serial_reads_nothing_of_its_response(
    client, sheet, volunteer_a, volunteer_a2, sheet_answers, valid_answers
):
    key(volunteer_a, sheet, sheet_answers)
    key(volunteer_a2, sheet, sheet_answers)
    answer = attack(client, sheet, valid_answers)
    # A key nobody used: the attacker's own response is stored, and only its own figures come back.
    assert answer.status_code == 201
    assert (answer.json()["district"], answer.json()["language"]) == ("KRG-TEM", "en")
    sheet.refresh_from_db()
    assert sheet.response.district.code == "KRG-KZB" and sheet.response.channel == Response.Channel.PAPER


def test_the_key_of_a_sheet_not_keyed_yet_does_not_capture_the_sheet(
    client, sheet, volunteer_a, volunteer_a2, sheet_answers, valid_answers
):
    assert attack(client, sheet, valid_answers).status_code == 201
    key(volunteer_a, sheet, sheet_answers)
    assert key(volunteer_a2, sheet, sheet_answers)["committed"] is True
    sheet.refresh_from_db()
    paper = sheet.response
    # The volunteers' answers are stored, as a paper response of the sheet's own district.
    assert (paper.channel, paper.district.code, paper.language) == (Response.Channel.PAPER, "KRG-KZB", "ru")
    assert paper.answers == sheet_answers
    online = Response.objects.get(channel=Response.Channel.ONLINE)
    assert (online.district.code, str(online.client_id)) == ("KRG-TEM", old_key(sheet))
    assert Response.objects.count() == 2


def test_the_key_sent_through_the_resident_forms_hidden_field_does_not_capture_the_sheet(
    fill_in, sheet, volunteer_a, volunteer_a2, sheet_answers
):
    assert fill_in(code="KRG-TEM", client_id=old_key(sheet)).status_code == 302
    key(volunteer_a, sheet, sheet_answers)
    key(volunteer_a2, sheet, sheet_answers)
    sheet.refresh_from_db()
    assert (sheet.response.channel, sheet.response.district.code) == (Response.Channel.PAPER, "KRG-KZB")
    assert sheet.response.answers == sheet_answers
    assert Response.objects.filter(channel=Response.Channel.ONLINE).count() == 1


def test_a_file_import_commits_a_sheet_whose_derived_key_an_online_response_holds(
    client, login, coordinator, volunteer_a, sheet, definition, sheet_answers, valid_answers
):
    assert attack(client, sheet, valid_answers).status_code == 201
    key(volunteer_a, sheet, sheet_answers)
    file = a_file(csv_bytes(template_rows(definition, [(sheet.serial, sheet_answers)])))
    job, page = upload(login(coordinator), sheet.batch, file)  # was a 500: the bulk insert hit the online key
    assert page.status_code == 200 and job.status == ImportJob.Status.COMMITTED
    sheet = Sheet.objects.select_related("response").get(pk=sheet.pk)
    assert sheet.status == Sheet.Status.COMMITTED
    assert (sheet.response.channel, sheet.response.client_id) == (Response.Channel.PAPER, None)
    assert sheet.response.answers == sheet_answers
