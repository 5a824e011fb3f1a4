"""reports.charts: SVG documents from plain data, suppressed figures drawn as text."""

import re
import xml.etree.ElementTree as ET

import pytest

from reports import charts
from tests.reports.seeding import boundaries_geojson

SVG = "{http://www.w3.org/2000/svg}"
SUPPRESSED = "fewer than 10 responses"


def _parse(svg: bytes) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    assert float(root.get("width").removesuffix("pt")) > 100
    assert float(root.get("height").removesuffix("pt")) > 50
    return root


def _texts(root: ET.Element) -> list[str]:
    return ["".join(text.itertext()).strip() for text in root.iter(SVG + "text")]


def test_the_interval_chart_ranks_districts_and_shows_suppressed_ones_as_text():
    rows = [charts.Interval("Temirtau", 52.5, 49.0, 56.0), charts.Interval("Saran", None, None, None),
            charts.Interval("Нұра ауданы", 71.2, 68.0, 74.4, highlight=True)]
    root = _parse(charts.intervals(rows, axis_label="Index", suppressed=SUPPRESSED, reference=60,
                                   reference_label="Region: 60.0"))
    texts = _texts(root)
    labels = [t for t in texts if t in ("Нұра ауданы", "Temirtau", "Saran")]
    assert labels == ["Нұра ауданы", "Temirtau", "Saran"]  # best first, suppressed last
    assert SUPPRESSED in texts
    assert "71" in texts and "52" in texts
    assert "Region: 60.0" in texts


def test_each_chart_is_valid_svg_with_ids_of_its_own():
    first = charts.counts([("Bus stop", 40), ("Park", 12)], axis_label="Respondents")
    second = charts.counts([("Route 12A", 33)], axis_label="Respondents")
    ids = [set(re.findall(rb'id="([^"]+)"', svg)) for svg in (first, second)]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    for svg in (first, second):
        _parse(svg)
        for href in re.findall(rb'url\(#([^)]+)\)', svg):
            assert href in set(re.findall(rb'id="([^"]+)"', svg))
    assert "Route 12A" in _texts(_parse(second))


def test_the_same_data_gives_the_same_bytes():
    rows = [charts.Distribution("How safe?", [0.1, 0.2, 0.3, 0.4])]
    assert charts.distribution(rows, categories=list("abcd"), suppressed=SUPPRESSED) == charts.distribution(
        rows, categories=list("abcd"), suppressed=SUPPRESSED)


def test_the_distribution_labels_each_share_and_writes_suppressed_items_as_text():
    rows = [charts.Distribution("Қараңғы түскеннен кейін?", [0.1, 0.25, 0.4, 0.25]),
            charts.Distribution("Днём?", None)]
    texts = _texts(_parse(charts.distribution(rows, categories=["Very unsafe", "A bit unsafe", "Fairly safe",
                                                                 "Very safe"], suppressed=SUPPRESSED)))
    assert {"10", "25", "40"} <= set(texts)
    assert SUPPRESSED in texts and "Қараңғы түскеннен кейін?" in texts and "Very safe" in texts


def test_the_trend_leaves_a_gap_for_a_suppressed_wave():
    svg = charts.trend(["2019", "2021", "2023"],
                       [charts.Series("Index", [None, 55.0, 58.0], [None, 52.0, 55.5], [None, 58.0, 60.5])],
                       axis_label="0–100", suppressed=SUPPRESSED)
    texts = _texts(_parse(svg))
    assert "55" in texts and "58" in texts
    assert any(SUPPRESSED.split()[0] in t for t in texts)


def test_the_driver_chart_numbers_the_points_and_leaves_out_suppressed_items():
    rows = [charts.DriverRow("1", 0.6, 0.4, True), charts.DriverRow("2", 0.3, 0.1, False),
            charts.DriverRow("3", None, None, False)]
    texts = _texts(_parse(charts.drivers(rows, correlation_label="r", unfavourable_label="%",
                                         priority_label="Priorities")))
    assert "1" in texts and "2" in texts and "3" not in texts and "Priorities" in texts


def _areas(districts, boundaries=None):
    shares = {"KRG-SAR": None}
    return [
        charts.MapArea(d.code, d.name_en, d.tile_row, d.tile_col, shares.get(d.code, 0.45 + 0.02 * i),
                       boundaries.get(d.code) if boundaries else None)
        for i, d in enumerate(sorted(districts.values(), key=lambda d: d.code)) if d.tile_row is not None
    ]


def test_the_tile_map_shows_each_share_and_n_under_10_for_a_suppressed_district(districts):
    areas = _areas(districts)
    assert charts.map_kind(areas) == "tiles"
    texts = _texts(_parse(charts.region_map(areas, legend_label="Feel safe", suppressed_short="n<10")))
    assert "n<10" in texts
    assert texts.count("n<10") == 1
    assert "45%" in texts  # the first district's share
    assert "Temirtau" in texts


def test_with_boundaries_for_every_district_the_map_is_a_choropleth(districts):
    geometries = {f["properties"]["code"]: f["geometry"] for f in boundaries_geojson(districts)["features"]}
    areas = _areas(districts, geometries)
    assert charts.map_kind(areas) == "choropleth"
    svg = charts.region_map(areas, legend_label="Feel safe", suppressed_short="n<10")
    texts = _texts(_parse(svg))
    assert any("n<10" in t for t in texts)
    assert any("Balkhash" in t for t in texts)
    # Balkhash: its outer ring, its lake (a hole) and its island are one compound path.
    assert charts.map_kind(areas[:-1] + [charts.MapArea("X", "x", 1, 1, 0.5, None)]) == "tiles"


@pytest.mark.parametrize("language_text", ["Өте қауіпсіз", "Очень безопасно", "Very safe"])
def test_text_stays_text_in_any_of_the_three_languages(language_text):
    texts = _texts(_parse(charts.counts([(language_text, 5)], axis_label="n")))
    assert language_text in texts
