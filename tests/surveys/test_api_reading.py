"""GET /api/v1/checklist/ and /api/v1/districts/: public, translated, cacheable, few queries."""

import pytest

from checklist.models import Checklist

CHECKLIST = "/api/v1/checklist/"
DISTRICTS = "/api/v1/districts/"


@pytest.fixture
def checklist_data(client, survey_ready):
    response = client.get(CHECKLIST)
    assert response.status_code == 200
    return response.json()


def _item(data, code):
    return next(item for section in data["sections"] for item in section["items"] if item["code"] == code)


def test_the_checklist_is_open_to_anonymous_residents(client, survey_ready):
    assert client.get(CHECKLIST).status_code == 200


def test_the_checklist_has_every_section_and_item_of_the_published_version(checklist_data, definition):
    assert checklist_data["version"] == definition.version
    assert [section["code"] for section in checklist_data["sections"]] == [s.code for s in definition.sections]
    codes = [item["code"] for section in checklist_data["sections"] for item in section["items"]]
    assert codes == [item.code for item in definition.items]


def test_the_checklist_gives_each_text_in_russian_kazakh_and_english(checklist_data):
    assert set(checklist_data["title"]) == {"ru", "kk", "en"}
    item = _item(checklist_data, "safe_walk_day")
    assert item["text"]["kk"] == "Күндіз өз ауданыңызда жалғыз жүргенде өзіңізді қаншалықты қауіпсіз сезінесіз?"
    assert item["text"]["en"] == "How safe do you feel walking alone in your area during the day?"
    very_safe = next(option for option in item["options"] if option["value"] == 4)
    assert very_safe["label"] == {"ru": "Очень безопасно", "kk": "Өте қауіпсіз", "en": "Very safe"}


def test_the_checklist_describes_kind_required_options_and_show_if(checklist_data):
    item = _item(checklist_data, "safe_walk_dark_would")
    assert item["kind"] == "likert"
    assert item["required"] is True
    assert item["show_if"] == {"item": "safe_walk_dark", "values": [8]}
    assert _item(checklist_data, "safe_walk_dark")["show_if"] is None
    dont_know = next(option for option in item["options"] if option["value"] == 9)
    assert dont_know["missing"] is True
    route = _item(checklist_data, "unsafe_bus_route")
    assert (route["kind"], route["required"], route["max_length"], route["options"]) == ("place", False, 10, [])


def test_the_checklist_in_one_language_gives_only_that_language(client, survey_ready):
    data = client.get(CHECKLIST, {"lang": "kk"}).json()
    assert data["title"] == {"kk": "Ауданыңыздағы қауіпсіздік туралы сауалнама"}
    labels = [option["label"] for option in _item(data, "pol_inspector_known")["options"]]
    assert labels == [{"kk": "Иә"}, {"kk": "Жоқ"}]


def test_an_unknown_language_parameter_is_refused_with_a_message(client, survey_ready):
    response = client.get(CHECKLIST, {"lang": "de"})
    assert response.status_code == 400
    assert list(response.json()) == ["lang"]


@pytest.mark.parametrize("url", [CHECKLIST, DISTRICTS])
def test_an_empty_language_parameter_is_refused_too(client, survey_ready, url):
    # The schema allows ru, kk or en, or no parameter: an empty one is neither.
    response = client.get(f"{url}?lang=")
    assert response.status_code == 400 and list(response.json()) == ["lang"]


def test_the_checklist_carries_an_etag_and_a_public_cache_lifetime(client, survey_ready):
    response = client.get(CHECKLIST)
    assert response["ETag"] == '"checklist-1-all"'
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert response["Last-Modified"]


def test_the_checklist_answers_304_when_the_client_has_the_current_version(client, survey_ready):
    etag = client.get(CHECKLIST)["ETag"]
    response = client.get(CHECKLIST, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_a_newly_published_version_changes_the_etag(client, survey_ready):
    etag = client.get(CHECKLIST)["ETag"]
    Checklist.objects.create(version=2, title_ru="v2", status=Checklist.Status.PUBLISHED)
    response = client.get(CHECKLIST, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_without_a_published_checklist_the_api_says_so(client, districts):
    response = client.get(CHECKLIST, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"detail": "No checklist is published yet."}


def test_the_checklist_costs_a_bounded_number_of_queries(client, survey_ready, django_assert_max_num_queries):
    # Checklist and wave (2), then the definition once per version: its checklist, sections, items
    # and options (4). Never one query per item or option.
    with django_assert_max_num_queries(6):
        assert client.get(CHECKLIST).status_code == 200
    with django_assert_max_num_queries(0):
        assert client.get(CHECKLIST, {"lang": "en"}).status_code == 200


def test_the_districts_are_open_to_anonymous_residents(client, districts):
    assert client.get(DISTRICTS).status_code == 200


def test_each_district_has_its_code_kind_parent_names_and_whether_it_takes_responses(client, districts):
    rows = {row["code"]: row for row in client.get(DISTRICTS).json()}
    assert len(rows) == len(districts)
    assert rows["KRG-KZB"] == {
        "code": "KRG-KZB",
        "kind": "city_district",
        "parent": "KRG-KAR",
        "name": {"ru": "район имени Казыбек би", "kk": "Қазыбек би ауданы", "en": "Kazybek Bi district"},
        "takes_responses": True,
    }
    assert rows["KRG"]["parent"] is None and rows["KRG"]["takes_responses"] is False
    assert rows["KRG-KAR"]["takes_responses"] is False  # a city divided into districts
    assert sum(row["takes_responses"] for row in rows.values()) == 14


def test_the_districts_agree_with_the_model_on_who_takes_responses(client, districts):
    rows = {row["code"]: row for row in client.get(DISTRICTS).json()}
    assert {code: row["takes_responses"] for code, row in rows.items()} == {
        code: district.takes_responses for code, district in districts.items()
    }


def test_the_districts_in_one_language_give_only_that_language(client, districts):
    rows = {row["code"]: row for row in client.get(DISTRICTS, {"lang": "en"}).json()}
    assert rows["KRG-TEM"]["name"] == {"en": "Temirtau"}


def test_the_districts_answer_304_to_a_matching_etag_and_change_it_when_a_name_changes(client, districts):
    etag = client.get(DISTRICTS)["ETag"]
    assert client.get(DISTRICTS, HTTP_IF_NONE_MATCH=etag).status_code == 304
    districts["KRG-TEM"].name_en = "Temirtau city"
    districts["KRG-TEM"].save()
    response = client.get(DISTRICTS, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_the_districts_cost_two_queries_however_many_there_are(client, districts, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert client.get(DISTRICTS).status_code == 200


def test_reading_needs_no_login_even_with_a_broken_session_cookie(client, survey_ready):
    client.cookies["sessionid"] = "not-a-session"
    assert client.get(CHECKLIST).status_code == 200
    assert client.get(DISTRICTS).status_code == 200
