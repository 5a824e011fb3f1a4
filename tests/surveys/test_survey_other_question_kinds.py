"""Numbers, several answers and short text: the form follows whatever the checklist defines."""

import pytest

from checklist.loading import checklist_load
from surveys.models import Response

pytestmark = pytest.mark.django_db

CHECKLIST = """
version: 7
title: {ru: "Пробная анкета", kk: "Сынақ сауалнамасы", en: "Trial checklist"}
consent: {ru: "Согласие", kk: "Келісім", en: "Consent"}
thanks: {ru: "Спасибо", kk: "Рахмет", en: "Thanks"}
sections:
  - code: A
    title: {ru: "Раздел", kk: "Бөлім", en: "Section"}
    items:
      - code: nights_out
        kind: number
        min: 0
        max: 7
        required: true
        text:
          ru: "Сколько вечеров в неделю вы выходите?"
          kk: "Аптасына неше кеш сыртқа шығасыз?"
          en: "Evenings out a week?"
      - code: transport
        kind: multiple
        options:
          - {value: 1, label: {ru: "Автобус", kk: "Автобус", en: "Bus"}}
          - {value: 2, label: {ru: "Такси", kk: "Такси", en: "Taxi"}}
          - {value: 3, label: {ru: "Пешком", kk: "Жаяу", en: "On foot"}}
        text: {ru: "Как вы добираетесь домой?", kk: "Үйге қалай жетесіз?", en: "How do you get home?"}
      - code: remark
        kind: text
        max_length: 30
        text: {ru: "Замечание", kk: "Ескерту", en: "Remark"}
"""


@pytest.fixture
def trial(survey_ready):
    return checklist_load(text=CHECKLIST)


def post(client, client_id_of, data):
    page = client.get("/survey/KRG-KZB/questions/")
    return client.post(
        "/survey/KRG-KZB/questions/", data | {"client_id": client_id_of(page.content.decode()), "version": "7"}
    )


def test_the_newest_published_version_is_the_one_on_the_form(client, trial):
    html = client.get("/survey/KRG-KZB/questions/").content.decode()
    assert "Пробная анкета" in html
    assert 'name="safe_walk_dark"' not in html
    assert 'inputmode="decimal"' in html
    assert "Число от 0 до 7." in html
    assert html.count('type="checkbox"') == 3
    assert "Не более 30 символов." in html
    assert html.count("(необязательно)") == 2


def test_a_decimal_comma_number_and_several_choices_are_stored(client, trial, client_id_of):
    page = post(client, client_id_of, {"nights_out": "2,5", "transport": ["1", "3"], "remark": " тихо "})
    assert page.status_code == 302
    assert Response.objects.get().answers == {"nights_out": 2.5, "transport": [1, 3], "remark": "тихо"}


def test_words_out_of_range_numbers_and_long_text_get_their_messages_in_kazakh(client, trial, client_id_of):
    client.post("/i18n/setlang/", {"language": "kk"})
    html = post(client, client_id_of, {"nights_out": "көп", "remark": "ә" * 31}).content.decode()
    assert "Сан енгізіңіз." in html
    assert "Ең көбі 30 таңба жазуға болады (сізде 31)." in html
    html = post(client, client_id_of, {"nights_out": "8"}).content.decode()
    assert "Ең көбі 7 болатын сан енгізіңіз." in html
    assert 'value="8"' in html
    assert Response.objects.count() == 0
