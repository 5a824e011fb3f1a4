"""reports.fingerprint.input_fingerprint (also reports.rendering's), and a report that computes no
figure: it lays out the published ones."""

import json
import re

from django.core.management import call_command

from reports import data, figures, fingerprint
from reports.rendering import input_fingerprint, render_report
from surveys.models import Response
from surveys.services import response_submit
from tests.reports.seeding import answers_with, boundaries_geojson


def test_it_is_stable_while_nothing_changes_and_differs_by_scope(report_data):
    first = input_fingerprint(scope="region", wave="2020")
    assert first == input_fingerprint(scope="region", wave=report_data["wave"])
    assert first != input_fingerprint(scope="KRG-KZB", wave="2020")
    assert first != input_fingerprint(scope="region", wave="2019")


def test_a_new_response_changes_it(report_data, districts, definition):
    before = input_fingerprint(scope="KRG-TEM", wave="2020")
    response_submit(district=districts["KRG-SAR"], language="ru", answers=answers_with(definition))
    assert input_fingerprint(scope="KRG-TEM", wave="2020") != before


def test_voiding_a_response_changes_it(report_data):
    before = input_fingerprint(scope="region", wave="2020")
    Response.objects.filter(pk=Response.objects.filter(wave__code="2020").first().pk).update(is_void=True)
    assert input_fingerprint(scope="region", wave="2020") != before


def test_an_earlier_wave_is_part_of_the_input(report_data):
    """The trend and the change read the earlier waves."""
    before = input_fingerprint(scope="region", wave="2020")
    Response.objects.filter(pk=Response.objects.filter(wave__code="2019").first().pk).update(is_void=True)
    assert input_fingerprint(scope="region", wave="2020") != before


def test_settings_populations_and_boundaries_are_part_of_the_input(report_data, districts, settings, tmp_path):
    before = input_fingerprint(scope="region", wave="2020")
    settings.REPORT_MIN_CELL = 15
    assert input_fingerprint(scope="region", wave="2020") != before
    settings.REPORT_MIN_CELL = 10
    assert input_fingerprint(scope="region", wave="2020") == before
    districts["KRG-KZB"].adult_population += 1
    districts["KRG-KZB"].save()
    changed = input_fingerprint(scope="region", wave="2020")
    assert changed != before
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(boundaries_geojson(districts)))
    call_command("load_boundaries", str(path))
    assert input_fingerprint(scope="region", wave="2020") != changed


def test_a_report_computes_no_figure_it_lays_out_the_published_ones(
    report_data, districts, definition, monkeypatch
):
    """Replaces "the figures are computed once per unchanged input": a report reads the
    wave's snapshot (METHOD.md §4.10), so it reads no response at all, and a response stored
    since changes nothing in it until a snapshot publishes it."""
    first = render_report(scope="KRG-KZB", wave="2020", language="kk", formats=["html"])[0].content

    def refuse(*args, **kwargs):
        raise AssertionError("a report must not compute figures")

    for module, name in ((figures, "wave_results"), (figures, "load_frame"), (data, "load_frame")):
        monkeypatch.setattr(module, name, refuse)
    render_report(scope="region", wave="2020", language="ru", formats=["html"])
    response_submit(district=districts["KRG-TEM"], language="ru", answers=answers_with(definition))
    again = render_report(scope="KRG-KZB", wave="2020", language="kk", formats=["html"])[0].content

    def without_time(html: bytes) -> str:
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d( \+\d\d)?|\d+ \w+ \d{4}, \d\d:\d\d", "", html.decode())

    assert without_time(again) == without_time(first)


def test_it_does_not_depend_on_the_order_the_database_adds_scores(report_data):
    """Float sums vary in their last digits between runs on PostgreSQL; scores are summed
    as exact decimals."""
    signature = fingerprint.responses_signature([report_data["wave"].pk])
    assert signature == fingerprint.responses_signature([report_data["wave"].pk])
    assert not isinstance(signature["feeling"], float)


def test_a_corrected_answer_changes_it(report_data, definition):
    """A coordinator's correction of a committed sheet changes its scores."""
    before = input_fingerprint(scope="region", wave="2020")
    response = Response.objects.filter(wave__code="2020").order_by("pk").first()
    Response.objects.filter(pk=response.pk).update(feeling=(response.feeling or 0) + 12.5)
    assert input_fingerprint(scope="region", wave="2020") != before
