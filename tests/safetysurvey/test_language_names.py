"""Each language is named in itself, and the same way on every page (issue 11, item 6)."""

from checklist.definition import LANGUAGE_NAMES


def test_the_language_buttons_of_the_header_and_the_survey_name_kazakh_alike(client, survey_ready):
    header = client.get("/").content.decode()
    survey = client.get("/survey/").content.decode()
    for name in LANGUAGE_NAMES.values():
        assert f">{name}</button>" in header
        assert f">{name}</button>" in survey
    assert ">Қазақ</button>" not in header + survey
