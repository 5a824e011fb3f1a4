"""A snapshot keeps its provenance: the input fingerprint of what it was computed from, the
settings, the code version, what it was made for and when; and results_of gives back the
published figures as the report lays them out."""

from reports import fingerprint
from reports.models import Snapshot
from reports.snapshots import latest_snapshot, results_of, snapshot_make
from surveys.models import Response, SheetChange
from surveys.services import response_submit
from tests.reports.seeding import answers_with


def test_it_records_the_input_the_settings_the_code_and_the_trigger(report_data, settings):
    wave = report_data["wave"]
    snapshot = latest_snapshot(wave)
    assert snapshot.status == Snapshot.Status.DONE and snapshot.trigger == Snapshot.Trigger.NIGHTLY
    assert snapshot.fingerprint == fingerprint.input_signature(wave)
    assert snapshot.settings_used == fingerprint.settings_summary()
    assert snapshot.settings_used["min_cell"] == settings.REPORT_MIN_CELL
    assert snapshot.code_version == fingerprint.code_version()
    assert snapshot.requested_at <= snapshot.created_at and snapshot.error == ""
    assert len(snapshot.publication) == 64


def test_each_unit_records_what_it_rests_on(report_data):
    snapshot = latest_snapshot(report_data["wave"])
    last_response = Response.objects.order_by("-pk").values_list("pk", flat=True).first()
    units = snapshot.results["units"]
    region = units["region"]["publication"]
    # The region's input is every response of the waves up to 2020 (the trend reads 2019).
    assert region == {"snapshot": snapshot.pk, "responses": Response.objects.count(),
                      "last_response": last_response, "last_change": SheetChange.objects.count()}
    assert units["KRG-KZB"]["publication"]["responses"] == 40 + 30
    assert units["KRG-SAR"]["publication"]["responses"] == 5
    assert units["KRG-KZB"]["population"]["adult_population"] > 0
    document = snapshot.results
    assert (document["wave"], document["previous_wave"], document["waves"]) == ("2020", "2019", ["2019", "2020"])
    assert document["min_cell"] == 10 and document["primary"] == "weighted"
    assert document["blocks"] == ["weighted", "unweighted"] and document["checklist_version"] == 1
    assert set(document["population"]) == set(units) - {"region"}


def test_the_same_figures_have_the_same_publication_and_other_figures_another(report_data, districts, definition):
    wave = report_data["wave"]
    first = latest_snapshot(wave)
    response_submit(district=districts["KRG-KZB"], language="ru", answers=answers_with(definition))
    carried = snapshot_make(wave=wave, trigger=Snapshot.Trigger.ANALYST)
    assert carried.pk != first.pk and carried.republished == []
    assert carried.publication == first.publication  # nothing new published: reports are reused
    assert carried.fingerprint != first.fingerprint  # but it is the input as it is now


def test_results_of_gives_the_published_figures_with_their_labels(report_data, districts):
    snapshot = latest_snapshot(report_data["wave"])
    results = results_of(snapshot)
    units = snapshot.results["units"]
    assert results.wave == report_data["wave"] and results.previous == report_data["previous"]
    assert [w.code for w in results.waves] == ["2019", "2020"]
    assert results.figures["districts"]["KRG-KZB"] == units["KRG-KZB"]["figures"]
    assert results.figures["region"] == units["region"]["figures"]
    assert results.trend["districts"]["KRG-TEM"] == units["KRG-TEM"]["trend"]
    assert results.distributions["KRG-KZB"] == units["KRG-KZB"]["distributions"]
    assert results.districts["KRG-KZB"] == districts["KRG-KZB"] and "KRG-KAR" not in results.districts
    assert results.definition.version == 1 and results.scales
    assert results.min_cell == 10 and results.weighted is True
