"""manage.py load_districts: the Karaganda hierarchy, all or nothing."""

import pytest
from django.core.management import CommandError, call_command

from checklist.loading import DataFileError, districts_load
from checklist.models import District

from ..conftest import DATA


def test_karaganda_region_loads_as_a_hierarchy(districts):
    assert districts["KRG-KZB"].parent.code == "KRG-KAR"
    assert districts["KRG-KAR"].parent.code == "KRG"
    leaves = [d for d in districts.values() if d.takes_responses]
    assert len(leaves) == 14
    assert districts["KRG-KZB"].name_kk and districts["KRG-KZB"].name_en == "Kazybek Bi district"
    for district in leaves:
        assert abs(sum(district.margins["age_group"].values()) - 1) < 0.01


def test_loading_twice_updates_instead_of_duplicating(districts):
    call_command("load_districts", verbosity=0)
    assert District.objects.count() == len(districts)


def test_a_bad_district_file_is_refused_whole(db, tmp_path):
    text = (DATA / "karaganda.yaml").read_text(encoding="utf-8")
    bad = text.replace("parent: KRG-KAR", "parent: KRG-NOWHERE", 1)
    with pytest.raises(DataFileError, match="parent 'KRG-NOWHERE'"):
        districts_load(text=bad)
    assert not District.objects.exists()
    path = tmp_path / "d.yaml"
    path.write_text("districts: 3", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_districts", str(path))


def test_margins_must_add_up_to_one(db):
    text = (DATA / "karaganda.yaml").read_text(encoding="utf-8")
    start = text.index("sex: {1: ")
    end = text.index("}", start)
    bad = text[:start] + "sex: {1: 0.9, 2: 0.9" + text[end:]
    with pytest.raises(DataFileError, match="sex shares must be numbers adding up to 1"):
        districts_load(text=bad)
