"""Helpers for the resident survey tests: a fresh form token and a complete answer sheet."""

import re

import pytest
from django.core.cache import cache

from checklist.answers import is_shown
from surveys.paper_services import paper_entry_create

FORM_URL = "/survey/{code}/questions/"


@pytest.fixture(autouse=True)
def _empty_cache():
    # The rate limit lives in the cache, which outlives a test in the same process.
    cache.clear()
    yield
    cache.clear()


def _client_id_of(html: str) -> str:
    return re.search(r'name="client_id" value="([0-9a-f-]{36})"', html).group(1)


def _complete_answers(definition, choose=None) -> dict[str, str]:
    """Form data answering every required question that is shown: the first option that is a
    point of the scale, unless `choose` (item code -> value) says otherwise."""
    choose = choose or {}
    typed: dict = {}
    for item in definition.items:
        if not is_shown(item, typed):
            continue
        if item.code in choose:
            typed[item.code] = choose[item.code]
        elif item.required:
            typed[item.code] = next(option.value for option in item.options if not option.missing)
    return {code: str(value) for code, value in typed.items()}


@pytest.fixture
def fill_in(client, definition):
    """fill_in(code, answers=None, **headers) -> the POST response, with a fresh form token."""

    def _fill_in(code="KRG-KZB", answers=None, client_id=None, **extra):
        page = client.get(FORM_URL.format(code=code), **extra)
        data = dict(_complete_answers(definition) if answers is None else answers)
        data.update(client_id=client_id or _client_id_of(page.content.decode()), version=str(definition.version))
        return client.post(FORM_URL.format(code=code), data, **extra)

    return _fill_in


@pytest.fixture
def complete_answers(definition):
    """complete_answers(choose=None) -> form data answering every required, shown question."""
    return lambda choose=None: _complete_answers(definition, choose)


@pytest.fixture
def client_id_of():
    """client_id_of(html) -> the one-time token embedded in a survey form."""
    return _client_id_of


@pytest.fixture
def conflict(paper_batch, volunteer_a, volunteer_a2, sheet_answers):
    """A sheet keyed twice with two differences: safe_walk_day 4 / 2, env_cctv 1 / 5."""
    sheet = paper_batch.sheets.order_by("number").first()
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
    paper_entry_create(sheet=sheet, user=volunteer_a2, answers={**sheet_answers, "safe_walk_day": 2, "env_cctv": 5})
    sheet.refresh_from_db()
    return sheet
