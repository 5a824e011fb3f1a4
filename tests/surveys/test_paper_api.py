"""The paper API: create an entry for a sheet serial, read a batch's status. Token or
session auth, the same checks and messages as the form, described in the OpenAPI schema."""

import json

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from checklist.answers import NOT_AN_OPTION, REQUIRED
from surveys import parsers
from surveys.models import Response
from surveys.paper_models import PaperEntry
from surveys.paper_services import ALREADY_ENTERED_BY_YOU, SERIAL_CHECK_FAILED

ENTRIES = "/api/v1/paper/entries/"


@pytest.fixture
def api():
    return APIClient()


def with_token(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


@pytest.fixture
def sheet(paper_batch):
    return paper_batch.sheets.order_by("number").first()


def ru(message):
    with translation.override("ru"):
        return str(message)


def test_a_volunteer_with_a_token_creates_the_first_entry(api, volunteer_a, sheet, sheet_answers):
    response = with_token(api, volunteer_a).post(
        ENTRIES, {"serial": sheet.serial, "answers": sheet_answers}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {
        "serial": sheet.serial,
        "status": "entered_once",
        "entry": 1,
        "committed": False,
        "differing_items": 0,
        "not_applicable": [],
    }
    assert PaperEntry.objects.get().entered_by == volunteer_a


def test_the_second_agreeing_entry_commits_the_response(api, volunteer_a, volunteer_a2, sheet, sheet_answers):
    with_token(api, volunteer_a).post(ENTRIES, {"serial": sheet.serial, "answers": sheet_answers}, format="json")
    api.credentials()
    api.force_authenticate(volunteer_a2)  # session-style authentication works too
    response = api.post(ENTRIES, {"serial": sheet.serial, "answers": sheet_answers}, format="json")
    assert response.status_code == 201 and response.json()["committed"] is True
    assert Response.objects.get().channel == Response.Channel.PAPER


def test_a_differing_second_entry_reports_how_many_items_differ(api, volunteer_a, volunteer_a2, sheet, sheet_answers):
    with_token(api, volunteer_a).post(ENTRIES, {"serial": sheet.serial, "answers": sheet_answers}, format="json")
    response = with_token(APIClient(), volunteer_a2).post(
        ENTRIES, {"serial": sheet.serial, "answers": {**sheet_answers, "sex": 2}}, format="json"
    )
    assert response.json()["status"] == "conflict" and response.json()["differing_items"] == 1


def test_bad_answers_get_400_with_the_forms_messages_and_nothing_is_stored(api, volunteer_a, sheet, sheet_answers):
    answers = {**sheet_answers, "safe_walk_day": 7}
    del answers["pol_trust"]
    response = with_token(api, volunteer_a).post(ENTRIES, {"serial": sheet.serial, "answers": answers}, format="json")
    assert response.status_code == 400
    assert response.json() == {"answers": {"safe_walk_day": [ru(NOT_AN_OPTION)], "pol_trust": [ru(REQUIRED)]}}
    assert not PaperEntry.objects.exists()


def test_a_mistyped_serial_gets_400(api, volunteer_a, sheet, sheet_answers):
    typo = sheet.serial[:-1] + ("A" if sheet.serial[-1] != "A" else "B")
    response = with_token(api, volunteer_a).post(ENTRIES, {"serial": typo, "answers": sheet_answers}, format="json")
    assert response.status_code == 400 and response.json() == {"serial": [ru(SERIAL_CHECK_FAILED)]}


def test_the_same_volunteer_cannot_enter_a_sheet_twice(api, volunteer_a, sheet, sheet_answers):
    client = with_token(api, volunteer_a)
    client.post(ENTRIES, {"serial": sheet.serial, "answers": sheet_answers}, format="json")
    response = client.post(ENTRIES, {"serial": sheet.serial, "answers": sheet_answers}, format="json")
    assert response.status_code == 400 and response.json() == {"serial": [ru(ALREADY_ENTERED_BY_YOU)]}


@pytest.mark.parametrize(
    "body", [{}, {"serial": "KRG"}, {"serial": "x", "answers": [1, 2]}, {"answers": {}}, "not json"]
)
def test_a_malformed_body_gets_400(api, volunteer_a, sheet, body):
    response = with_token(api, volunteer_a).post(ENTRIES, body, format="json")
    assert response.status_code == 400 and not PaperEntry.objects.exists()


def test_a_volunteer_of_another_district_gets_403(api, volunteer_b, sheet, sheet_answers, paper_batch):
    client = with_token(api, volunteer_b)
    assert client.post(ENTRIES, {"serial": sheet.serial, "answers": sheet_answers}, format="json").status_code == 403
    assert client.get(f"/api/v1/paper/batches/{paper_batch.pk}/").status_code == 403
    assert client.get("/api/v1/paper/batches/").json() == []
    assert not PaperEntry.objects.exists()


def test_anonymous_and_analyst_requests_are_refused(api, analyst, sheet, sheet_answers):
    assert api.post(ENTRIES, {"serial": sheet.serial, "answers": sheet_answers}, format="json").status_code in (
        401,
        403,
    )
    analyst_client = with_token(APIClient(), analyst)
    assert analyst_client.post(ENTRIES, {"serial": sheet.serial, "answers": {}}, format="json").status_code == 403


@pytest.mark.parametrize(
    "raw_note",
    [r'"near the\u0000 market"', r'"near the \ud800 market"'],
    ids=["a NUL character", "an unpaired surrogate"],
)
def test_text_the_database_cannot_store_is_refused_with_400_and_nothing_stored(
    api, volunteer_a, sheet, sheet_answers, raw_note
):
    # jsonb refuses both (PostgreSQL's error would be a 500); SQLite would keep what PostgreSQL cannot.
    raw = json.dumps({"serial": sheet.serial, "answers": {**sheet_answers, "unsafe_place_note": "__RAW__"}})
    response = with_token(api, volunteer_a).generic(
        "POST", ENTRIES, raw.replace('"__RAW__"', raw_note), content_type="application/json"
    )
    assert response.status_code == 400 and response.json() == {"detail": ru(parsers.UNSTORABLE)}
    assert not PaperEntry.objects.exists()


def test_a_batch_id_too_large_for_the_database_is_a_json_404(api, volunteer_a):
    response = with_token(api, volunteer_a).get(f"/api/v1/paper/batches/{2**63}/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_a_batch_status_gives_counts_and_every_sheet(api, volunteer_a, paper_batch, sheet, sheet_answers):
    client = with_token(api, volunteer_a)
    client.post(ENTRIES, {"serial": sheet.serial, "answers": sheet_answers}, format="json")
    body = client.get(f"/api/v1/paper/batches/{paper_batch.pk}/").json()
    assert body["batch"]["district"] == "KRG-KZB" and body["batch"]["size"] == 3
    assert body["counts"] == {
        "printed": 3,
        "entered_once": 1,
        "entered_twice": 0,
        "conflict": 0,
        "committed": 0,
        "void": 0,
    }
    assert [row["serial"] for row in body["sheets"]] == list(paper_batch.sheets.values_list("serial", flat=True))
    assert body["sheets"][0] == {"serial": sheet.serial, "number": 1, "status": "entered_once", "entries": 1}
    assert client.get("/api/v1/paper/batches/").json()[0]["id"] == paper_batch.pk
    assert client.get("/api/v1/paper/batches/999999/").status_code == 404


def test_the_paper_endpoints_are_in_the_openapi_schema(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/v1/paper/entries/" in schema["paths"]
    assert "/api/v1/paper/batches/{id}/" in schema["paths"]
    operation = schema["paths"]["/api/v1/paper/entries/"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "403"}
    assert {"tokenAuth", "cookieAuth"} <= {next(iter(s)) for s in operation["security"] if s}
