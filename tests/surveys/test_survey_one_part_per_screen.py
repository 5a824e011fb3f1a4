"""The online form can show one part per screen, with Back and Next, keeping the answers and
the error summary's links (issue 11, item 3). The checklist definition says which is the
default; without JavaScript the form is one page."""

import pytest
from playwright.sync_api import expect

from checklist.models import Checklist
from surveys.models import Response
from tests.surveys.test_survey_browser import answer_everything_but

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_shipped_checklist_pages_by_part(checklist, definition):
    assert checklist.layout == Checklist.Layout.SECTIONS and definition.layout == "sections"


def _visible_parts(page):
    return page.locator("section.part:visible")


def test_a_resident_pages_through_the_parts_and_sends_from_the_last(page, live_server, survey_ready, definition):
    page.goto(f"{live_server.url}/survey/KRG-KZB/questions/")
    parts = len(definition.sections)
    expect(_visible_parts(page)).to_have_count(1)
    expect(page.locator(".submit-area")).to_be_hidden()
    expect(page.locator(".progress-text")).to_contain_text(f"Часть 1 из {parts}")

    first = definition.sections[0].items[0]
    page.locator(f"label[for='q-{first.code}-3']").click()
    page.get_by_role("button", name="Далее").first.click()
    expect(page.locator(".progress-text")).to_contain_text(f"Часть 2 из {parts}")
    page.locator("section.part:visible").get_by_role("button", name="Назад").click()
    expect(page.locator(f"#q-{first.code}-3")).to_be_checked()

    # Answer everything part by part, then send from the last part.
    for index in range(parts):
        section = definition.sections[index]
        codes = {item.code for item in section.items}
        answer_everything_but(page, _only(definition, codes), skip="", choose={})
        if index < parts - 1:
            page.locator("section.part:visible").get_by_role("button", name="Далее").click()
    expect(page.locator(".submit-area")).to_be_visible()
    page.locator(".survey-form button[type=submit]").click()
    expect(page.locator("[data-survey-done]")).to_be_visible()
    assert Response.objects.count() == 1


def test_an_error_link_opens_the_part_of_its_question(page, live_server, survey_ready, definition):
    page.goto(f"{live_server.url}/survey/KRG-KZB/questions/")
    page.get_by_role("button", name="Показать все вопросы на одной странице").click()
    answer_everything_but(page, definition, skip="pol_trust", choose={})
    page.locator(".survey-form button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    # Sent back with an error, the form opens on the part of the first error.
    expect(page.locator("#question-pol_trust")).to_be_visible()
    expect(_visible_parts(page)).to_have_count(1)
    page.locator("section.part:visible").get_by_role("button", name="Назад").click()
    expect(page.locator("#question-pol_trust")).to_be_hidden()
    summary.locator("a").first.click()
    expect(page.locator("#q-pol_trust-1")).to_be_focused()


def test_a_checklist_on_one_page_shows_every_part(page, live_server, survey_ready, checklist):
    Checklist.objects.filter(pk=checklist.pk).update(layout=Checklist.Layout.ONE_PAGE)
    from checklist.definition import clear_cache
    from surveys import current

    clear_cache()
    current.clear()
    page.goto(f"{live_server.url}/survey/KRG-KZB/questions/")
    expect(page.locator(".submit-area")).to_be_visible()
    assert _visible_parts(page).count() == page.locator("section.part").count() > 1
    expect(page.get_by_role("button", name="Далее")).to_have_count(0)


def _only(definition, codes):
    from dataclasses import replace

    return replace(definition, sections=tuple(
        replace(section, items=tuple(i for i in section.items if i.code in codes)) for section in definition.sections
    ))
