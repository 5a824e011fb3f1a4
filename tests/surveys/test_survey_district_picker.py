"""/survey/ offers the districts residents answer for, grouped by city and region."""

import re

import pytest

pytestmark = pytest.mark.django_db


def options(html: str) -> list[str]:
    return re.findall(r'<option value="([A-Z-]+)">', html)


def test_it_lists_exactly_the_districts_that_take_responses(client, survey_ready, districts):
    html = client.get("/survey/").content.decode()
    expected = sorted(code for code, district in districts.items() if district.takes_responses)
    assert sorted(options(html)) == expected
    assert len(expected) == 14
    assert "KRG-KAR" not in options(html)  # the city itself has districts
    assert 'value="KRG"' not in html  # the region


def test_districts_are_grouped_by_city_and_region_with_names_in_the_active_language(client, survey_ready):
    html = client.get("/survey/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    groups = re.findall(r'<optgroup label="([^"]+)">', html)
    assert groups == ["Қарағанды", "Қарағанды облысы: қалалар", "Қарағанды облысы: аудандар"]
    assert "Әлихан Бөкейхан ауданы" in html
    assert "Бұқар жырау ауданы" in html


def test_names_are_in_dictionary_order_for_kazakh_letters(client, survey_ready):
    html = client.get("/survey/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    city_group = html[html.index('<optgroup label="Қарағанды">') : html.index("</optgroup>")]
    # Ә comes right after А in the Kazakh alphabet, not after Я as in Unicode.
    assert city_group.index("Әлихан") < city_group.index("Қазыбек")


def test_choosing_a_district_goes_to_its_page(client, survey_ready):
    page = client.get("/survey/", {"district": "KRG-TEM"})
    assert page.status_code == 302
    assert page["Location"] == "/survey/KRG-TEM/"


def test_choosing_nothing_asks_again_with_an_error_next_to_the_list(client, survey_ready):
    page = client.get("/survey/", {"district": ""})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Выберите свой район из списка." in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="district-hint district-error"' in html


def test_the_picker_reads_the_checklist_wave_and_all_districts_in_three_queries(
    client, survey_ready, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        assert client.get("/survey/").status_code == 200
