"""The questions of a blank form are rendered once per checklist and language in a process and
kept (most of the page's CPU); everything personal on the page is still each resident's own."""

import re

import pytest
from django.test import Client

from checklist.loading import checklist_load
from surveys import current, views
from tests.conftest import DATA

pytestmark = pytest.mark.django_db

PAGE = "/survey/KRG-KZB/questions/"


@pytest.fixture
def renders(monkeypatch):
    """The templates surveys.views renders by name (the kept questions are rendered so)."""
    names = []
    real = views.render_to_string

    def spy(template_name, *args, **kwargs):
        names.append(template_name)
        return real(template_name, *args, **kwargs)

    monkeypatch.setattr(views, "render_to_string", spy)
    return names


def personal(html: str) -> dict[str, list[str]]:
    return {
        "client_id": re.findall(r'name="client_id" value="([^"]+)"', html),
        "csrf": re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html),
    }


def test_the_questions_are_rendered_once_per_language(client, survey_ready, renders):
    for language in ("ru", "ru", "kk", "ru", "kk"):
        assert client.get(PAGE, HTTP_ACCEPT_LANGUAGE=language).status_code == 200
    assert renders == ["surveys/snippets/parts.html"] * 2


def test_a_kept_page_is_the_page_rendered_for_the_first_resident(survey_ready, client):
    first = client.get(PAGE).content.decode()
    second = Client().get(PAGE).content.decode()
    mine, theirs = personal(first), personal(second)
    assert mine["client_id"] != theirs["client_id"]  # each resident's own one-time token
    for key in ("client_id", "csrf"):
        for value in mine[key]:
            first = first.replace(value, "")
        for value in theirs[key]:
            second = second.replace(value, "")
    first = re.sub(r'nonce="[^"]+"', "", first)
    second = re.sub(r'nonce="[^"]+"', "", second)
    assert first == second


def test_each_language_keeps_its_own_questions(client, survey_ready, definition):
    client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ru")
    kazakh = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert definition.items[0].question("kk") in kazakh
    assert definition.items[0].question("ru") not in kazakh


def test_a_form_sent_back_with_errors_shows_them_and_the_answers_typed(client, survey_ready, renders):
    client.get(PAGE)
    page = client.post(PAGE, {"version": "1", "safe_walk_day": "2"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="q-safe_walk_day-2" name="safe_walk_day" value="2" checked' in html
    assert 'class="field-error"' in html
    assert renders == ["surveys/snippets/parts.html"]  # the blank one only


def test_a_newly_published_version_shows_its_own_questions(client, survey_ready):
    assert "Очень безопасно" in client.get(PAGE).content.decode()
    source = (DATA / "checklist-v1.yaml").read_text(encoding="utf-8")
    checklist_load(text=source.replace("version: 1", "version: 2", 1).replace("Очень безопасно", "Вполне безопасно"))
    current.clear()  # as other processes do within current.CURRENT_TTL_SECONDS
    html = client.get(PAGE).content.decode()
    assert 'name="version" value="2"' in html
    assert "Вполне безопасно" in html and "Очень безопасно" not in html
