"""manage.py load_boundaries: district boundaries from GeoJSON, all or nothing."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from checklist.models import District
from tests.reports.seeding import boundaries_geojson


@pytest.fixture
def geojson_file(tmp_path):
    def write(data) -> str:
        path = tmp_path / "boundaries.geojson"
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return str(path)

    return write


def test_a_good_file_gives_every_district_its_boundary(districts, geojson_file, capsys):
    call_command("load_boundaries", geojson_file(boundaries_geojson(districts)))
    assert "Loaded boundaries of 14 districts." in capsys.readouterr().out
    balkhash = District.objects.get(code="KRG-BAL")
    assert balkhash.boundary["type"] == "MultiPolygon"
    assert District.objects.get(code="KRG-KZB").boundary["type"] == "Polygon"
    assert District.objects.get(code="KRG").boundary is None


def test_it_reads_the_code_from_another_property_and_warns_of_districts_left_out(districts, geojson_file, capsys):
    data = boundaries_geojson(districts, skip=["KRG-NUR"])
    for feature in data["features"]:
        feature["properties"] = {"district_code": feature["properties"]["code"]}
    call_command("load_boundaries", geojson_file(data), property="district_code")
    out = capsys.readouterr().out
    assert "Loaded boundaries of 13 districts." in out
    assert "KRG-NUR" in out


BAD = {
    "not json": ("{not json", "not valid JSON"),
    "not a collection": ({"type": "Feature"}, "FeatureCollection"),
    "unknown code": (lambda d: d["features"][0]["properties"].update(code="KRG-XXX"), "no district with this code"),
    "no code": (lambda d: d["features"][0]["properties"].pop("code"), "no 'code' property"),
    "duplicate": (lambda d: d["features"].append(copy.deepcopy(d["features"][0])), "earlier in the file"),
    "open ring": (lambda d: d["features"][1]["geometry"]["coordinates"][0].pop(), "not closed"),
    "latitude": (lambda d: d["features"][2]["geometry"]["coordinates"][0][1].__setitem__(1, 123.0),
                 "not a longitude and latitude"),
    "a point": (lambda d: d["features"][3].__setitem__("geometry", {"type": "Point", "coordinates": [73, 49]}),
                "Polygon or a MultiPolygon"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_file_is_refused_and_nothing_is_written(districts, geojson_file, case):
    call_command("load_boundaries", geojson_file(boundaries_geojson(districts, skip=["KRG-SHE"])))
    before = {d.code: d.boundary for d in District.objects.all()}
    broken, message = BAD[case]
    if callable(broken):
        data = boundaries_geojson(districts)
        data["features"][0]["geometry"]["coordinates"][0][0][0] += 0  # unchanged first feature
        broken(data)
    else:
        data = broken
    with pytest.raises(CommandError, match=message) as error:
        call_command("load_boundaries", geojson_file(data))
    assert "nothing was written" in str(error.value)
    assert {d.code: d.boundary for d in District.objects.all()} == before
    assert District.objects.get(code="KRG-SHE").boundary is None


def test_clear_removes_the_boundaries(districts, geojson_file):
    call_command("load_boundaries", geojson_file(boundaries_geojson(districts)))
    call_command("load_boundaries", clear=True)
    assert not District.objects.exclude(boundary__isnull=True).exists()
