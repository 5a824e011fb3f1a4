"""A resident answers the survey on a phone in a real browser (Chromium, 390x844)."""

import re

import pytest
from playwright.sync_api import expect

from checklist.answers import is_shown
from surveys.models import Response
from tests.surveys.survey_pages import reveal, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_everything_but(page, definition, skip: str, choose: dict) -> None:
    """Tick one option of every required question, as a resident would, skipping one."""
    typed: dict = {}
    for item in definition.items:
        if not is_shown(item, typed):
            expect(page.locator(f"#question-{item.code}")).to_be_hidden()
            continue
        value = choose.get(item.code)
        if value is None and item.required:
            value = next(option.value for option in item.options if not option.missing)
        if value is None:
            continue
        typed[item.code] = value
        if item.code != skip:
            reveal(page, item.code)
            page.locator(f"label[for='q-{item.code}-{value}']").click()


@pytest.mark.parametrize(
    ("language", "button", "error", "thanks"),
    [
        ("ru", "Русский", "Пожалуйста, ответьте на этот вопрос.", "Ваши ответы отправлены"),
        ("kk", "Қазақша", "Осы сұраққа жауап беріңіз.", "Жауаптарыңыз жіберілді"),
    ],
)
def test_a_resident_fills_in_the_survey_on_a_phone(
    page, live_server, survey_ready, definition, language, button, error, thanks
):
    page.goto(f"{live_server.url}/survey/")
    page.get_by_role("button", name=button).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.select_option("#id_district", "KRG-TEM")
    page.locator(".district-picker button[type=submit]").click()
    page.locator("a.button.primary").click()
    expect(page).to_have_url(re.compile(r"/survey/KRG-TEM/questions/$"))

    # A follow-up appears only once its condition holds.
    expect(page.locator("#question-vic_burglary_reported")).to_be_hidden()
    answer_everything_but(page, definition, skip="pol_trust", choose={"vic_burglary": 1})
    expect(page.locator("#question-vic_burglary_reported")).to_be_visible()

    send(page)
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator("#error-pol_trust")).to_contain_text(error)
    assert Response.objects.count() == 0

    summary.locator("a").first.click()
    expect(page.locator("#q-pol_trust-1")).to_be_focused()
    page.locator("label[for='q-pol_trust-4']").click()
    send(page)

    expect(page.locator("h1")).to_have_text(thanks)
    response = Response.objects.get()
    assert response.language == language
    assert response.district.code == "KRG-TEM"
    assert response.answers["vic_burglary_reported"] == 1
    assert response.answers["pol_trust"] == 4


def test_an_option_can_be_chosen_with_the_keyboard_alone(page, live_server, survey_ready):
    page.goto(f"{live_server.url}/survey/KRG-KZB/questions/")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "safe_walk_dark":
            break
    first = page.locator("#q-safe_walk_dark-4")
    expect(first).to_be_focused()
    # The focused option is visibly marked: its card gets an outline.
    outline = page.evaluate(
        "getComputedStyle(document.querySelector(\"label[for='q-safe_walk_dark-4']\")).outlineStyle"
    )
    assert outline != "none"
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#q-safe_walk_dark-3")).to_be_checked()
    expect(first).not_to_be_checked()
    expect(page.locator("#survey-progress")).to_contain_text("Отвечено: 1 из")


def test_answers_in_progress_survive_a_change_of_language_and_go_after_sending(page, live_server, survey_ready):
    page.goto(f"{live_server.url}/survey/KRG-KZB/questions/")
    page.locator("label[for='q-safe_walk_day-2']").click()
    reveal(page, "vic_fraud")
    page.locator("label[for='q-vic_fraud-1']").click()
    page.locator(".site-header .language-switch button[value=kk]").click()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("#q-safe_walk_day-2")).to_be_checked()
    expect(page.locator("#q-vic_fraud-1")).to_be_checked()
    expect(page.locator("#question-vic_fraud_reported")).to_be_visible()
    # The thank-you page forgets the draft: the next person on this phone starts blank.
    page.goto(f"{live_server.url}/survey/thanks/")
    page.goto(f"{live_server.url}/survey/KRG-KZB/questions/")
    expect(page.locator("#q-safe_walk_day-2")).not_to_be_checked()
