"""An analyst's request to publish the figures now: POST /api/v1/snapshots/, GET
/api/v1/snapshots/<id>/ and the button on /reports/. Nobody else may (docs/access.md)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reports import tasks
from reports.models import Snapshot
from reports.snapshots import NOT_PUBLISHED, SNAPSHOTS_FOR_ANALYSTS, snapshot_make
from tests.reports.seeding import seed_responses

URL = "/api/v1/snapshots/"


@pytest.fixture
def responses(survey_ready, definition):
    seed_responses(definition=definition, checklist=survey_ready["checklist"], wave=survey_ready["wave"],
                   district=survey_ready["districts"]["KRG-KZB"], count=12, safety=0.5, seed=1)


@pytest.fixture
def api():
    def as_user(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return as_user


@pytest.fixture
def sent(monkeypatch):
    ids = []
    monkeypatch.setattr(tasks.fill_snapshot, "delay", lambda snapshot_id: ids.append(snapshot_id))
    return ids


@pytest.mark.parametrize("persona", ["anonymous", "volunteer_a", "coordinator"])
def test_only_analysts_may_have_the_figures_published(api, responses, persona, request, sent):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    response = api(user).post(URL, {"wave": "2020"}, format="json")
    assert response.status_code == 403
    assert not Snapshot.objects.exists() and sent == []
    if persona == "coordinator":
        assert response.json() == {"detail": str(SNAPSHOTS_FOR_ANALYSTS)}


def test_an_analyst_gets_a_queued_snapshot_whose_task_publishes_it_after_the_commit(
    api, analyst, responses, django_capture_on_commit_callbacks
):
    client = api(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"wave": "2020"}, format="json")
        assert response.status_code == 202
        body = response.json()
        assert (body["status"], body["trigger"], body["wave"], body["requested_by"]) == (
            "queued", "analyst", "2020", "analyst")
        assert body["url"].endswith(f"{URL}{body['id']}/") and body["aggregates"].endswith("?wave=2020")
    detail = client.get(f"{URL}{body['id']}/").json()
    assert detail["status"] == "done" and detail["created_at"] and "KRG-KZB" in detail["republished"]
    figures = client.get("/api/v1/aggregates/", {"wave": "2020", "district": "KRG-KZB"}).json()
    assert figures["snapshot"]["id"] == body["id"] and figures["districts"][0]["n"] == 12


def test_asking_again_before_it_is_made_gets_the_same_queued_snapshot(api, analyst, responses, sent):
    first = api(analyst).post(URL, {}, format="json")  # the open wave
    again = api(analyst).post(URL, {"wave": "2020"}, format="json")
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["id"] == again.json()["id"] and Snapshot.objects.count() == 1


def test_when_nothing_changed_the_latest_snapshot_is_the_answer(api, analyst, responses, wave, sent):
    latest = snapshot_make(wave=wave, trigger=Snapshot.Trigger.NIGHTLY)
    response = api(analyst).post(URL, {"wave": "2020"}, format="json")
    assert response.status_code == 200 and response.json()["id"] == latest.pk and sent == []


def test_an_unknown_wave_is_a_field_error(api, analyst, responses, sent):
    response = api(analyst).post(URL, {"wave": "1999"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"wave"}


def test_a_snapshot_is_the_analysts_to_see(api, analyst, coordinator, responses, wave):
    snapshot = snapshot_make(wave=wave, trigger=Snapshot.Trigger.NIGHTLY)
    assert api(coordinator).get(f"{URL}{snapshot.pk}/").status_code == 403
    body = api(analyst).get(f"{URL}{snapshot.pk}/").json()
    assert body["fingerprint"] == snapshot.fingerprint and body["settings_used"]["min_cell"] == 10
    assert "results" not in body  # the figures are read through /api/v1/aggregates/
    assert api(analyst).get(f"{URL}{snapshot.pk + 1}/").status_code == 404


def test_the_schema_documents_the_snapshots_and_the_aggregates_before_any(client):
    schema = client.get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/v1/snapshots/"]["post"]
    assert {"200", "202", "400", "403"} <= set(create["responses"])
    aggregates = schema["paths"]["/api/v1/aggregates/"]["get"]
    assert aggregates["responses"]["404"]["description"] == str(NOT_PUBLISHED)
    assert "snapshot" in schema["components"]["schemas"]["Aggregates"]["properties"]


def test_the_reports_page_has_the_button_for_analysts_only(login, analyst, coordinator, responses, sent):
    page = login(analyst).get(reverse("reports:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("reports:snapshot") in page and "Publish the figures now" in page
    assert reverse("reports:snapshot") not in login(coordinator).get(reverse("reports:index")).content.decode()


def test_the_button_asks_for_a_snapshot_and_says_so(
    login, analyst, coordinator, responses, sent, django_capture_on_commit_callbacks
):
    client = login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:snapshot"), {"wave": "2020"}, follow=True,
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[-1][0] == reverse("reports:index")
    assert "are being published" in response.content.decode()
    assert Snapshot.objects.get().trigger == Snapshot.Trigger.ANALYST and len(sent) == 1
    assert login(coordinator).post(reverse("reports:snapshot"), {"wave": "2020"}).status_code == 403
