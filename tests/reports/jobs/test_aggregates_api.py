"""GET /api/v1/aggregates/: the published figures of a wave by district, small cells suppressed.

The figures are the wave's latest snapshot (METHOD.md §4.10), made here as the nightly run
makes it (`publish`)."""

import statistics

import pytest
from rest_framework.test import APIClient

from reports import data as report_data
from reports import figures as report_figures
from reports.snapshots import NOT_PUBLISHED, snapshots_nightly
from surveys.models import Response
from tests.reports.seeding import seed_responses

URL = "/api/v1/aggregates/"


@pytest.fixture
def publish():
    return snapshots_nightly


@pytest.fixture
def published(responses, publish):
    """The 23 responses of `responses`, published."""
    publish()
    return responses


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


def by_code(payload):
    return {unit["code"]: unit for unit in payload["districts"]}


def numbers_in(value):
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers_in(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def test_an_analyst_gets_the_region_and_every_district_weighted_and_unweighted(api, analyst, published):
    response = api(analyst).get(URL, {"wave": "2020"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["wave"] == "2020" and payload["min_cell"] == 10 and payload["fingerprint"]
    assert payload["snapshot"]["id"] and payload["snapshot"]["created_at"]
    assert payload["region"]["code"] == "region" and payload["region"]["n"] == 23
    districts = by_code(payload)
    assert len(districts) == 14 and "KRG-KAR" not in districts
    a = districts["KRG-KZB"]
    assert a["n"] == 12 and a["name"] and not a["suppressed"]
    for block in ("weighted", "unweighted"):
        figures = a[block]
        assert figures["n_eff"] > 0
        for score in ("index", "environment", "police", "overall"):
            estimate = figures[score]
            assert estimate["low"] < estimate["value"] < estimate["high"], (block, score)
        # The SDG question has fewer answers than the district (some say "never walk alone"): see the region.
        sdg = payload["region"][block]["sdg"]
        assert 0 <= sdg["low"] <= sdg["value"] <= sdg["high"] <= 1 and sdg["n"] >= 10
    assert a["unweighted"]["n_eff"] == 12


def test_the_figures_need_no_cache_so_a_cache_outage_changes_nothing(api, analyst, published, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    response = api(analyst).get(URL, {"wave": "2020"})
    assert response.status_code == 200
    assert response.json()["region"]["n"] == 23 and by_code(response.json())["KRG-KZB"]["n"] == 12


def test_the_unweighted_index_is_the_plain_mean_of_the_stored_scores(api, analyst, published, district_a):
    payload = api(analyst).get(URL, {"wave": "2020", "district": "KRG-KZB"}).json()
    stored = [r.feeling for r in Response.objects.filter(district=district_a) if r.feeling is not None]
    # Published as displayed: to 0.1 on the 0–100 scale (METHOD.md §4.10).
    assert payload["districts"][0]["unweighted"]["index"]["value"] == round(statistics.mean(stored), 1)


def test_a_district_with_fewer_than_ten_responses_shows_no_number_at_all(
    api, analyst, responses, publish, definition, checklist, wave, districts
):
    seed_responses(definition=definition, checklist=checklist, wave=wave, district=districts["KRG-SHE"],
                   count=6, safety=0.5, seed=5)
    publish()
    unit = by_code(api(analyst).get(URL, {"wave": "2020"}).json())["KRG-SHE"]
    assert unit["suppressed"] is True and unit["n"] is None
    assert numbers_in(unit) == []
    assert unit["weighted"]["index"]["suppressed"] is True


def test_a_coordinator_sees_only_their_district_and_not_the_region(api, coordinator, published):
    payload = api(coordinator).get(URL, {"wave": "2020"}).json()
    assert payload["region"] is None and [u["code"] for u in payload["districts"]] == ["KRG-KZB"]
    one = api(coordinator).get(URL, {"wave": "2020", "district": "KRG-KZB"})
    assert one.status_code == 200 and one.json()["districts"][0]["n"] == 12


def test_another_district_is_forbidden_to_a_coordinator(api, coordinator, published):
    assert api(coordinator).get(URL, {"wave": "2020", "district": "KRG-TEM"}).status_code == 403


def test_unknown_wave_or_district_is_a_400_with_field_messages(api, analyst, published):
    response = api(analyst).get(URL, {"wave": "1999", "district": "KRG-XXX"})
    assert response.status_code == 400 and set(response.json()) == {"wave", "district"}


def test_without_a_wave_the_open_wave_is_used(api, analyst, published):
    assert api(analyst).get(URL).json()["wave"] == "2020"


def test_before_the_first_snapshot_there_is_nothing_to_read(api, analyst, coordinator, responses):
    for user in (analyst, coordinator):
        response = api(user).get(URL, {"wave": "2020"})
        assert response.status_code == 404
        assert response.json() == {"detail": str(NOT_PUBLISHED)}


def test_reading_the_figures_computes_nothing_and_a_new_response_shows_only_once_published_by_the_rule(
    api, analyst, published, publish, monkeypatch, definition, checklist, wave, district_a
):
    """Replaces "figures are cached until the input changes": they are read from the latest
    snapshot, and a district's published figures change once REPORT_MIN_CELL responses were
    added (tests/reports/test_differencing_attack.py is the attack itself)."""
    loads = []
    real = report_data.load_frame
    monkeypatch.setattr(report_figures, "load_frame", lambda **kw: loads.append(kw) or real(**kw))
    client = api(analyst)
    first = client.get(URL, {"wave": "2020"}).json()
    client.get(URL, {"wave": "2020", "district": "KRG-KZB"})
    assert loads == []
    seed_responses(definition=definition, checklist=checklist, wave=wave, district=district_a, count=1,
                   safety=0.5, seed=77)
    publish()
    second = client.get(URL, {"wave": "2020"}).json()
    assert len(loads) == 1 and second["snapshot"]["id"] != first["snapshot"]["id"]
    assert by_code(second)["KRG-KZB"] == by_code(first)["KRG-KZB"]  # one response: carried forward
    assert second["region"] == first["region"]
    seed_responses(definition=definition, checklist=checklist, wave=wave, district=district_a, count=9,
                   safety=0.5, seed=78)
    publish()
    third = client.get(URL, {"wave": "2020"}).json()
    assert by_code(third)["KRG-KZB"]["n"] == 22 and third["region"]["n"] == 33


@pytest.mark.parametrize("field", ["wave", "district"])
def test_a_code_with_a_nul_character_is_unknown(api, analyst, published, field):
    # PostgreSQL cannot compare text holding NUL: without the check this was a DataError, a 500.
    response = api(analyst).get(URL, {"wave": "2020", field: "KRG\x00"})
    assert response.status_code == 400 and set(response.json()) == {field}
