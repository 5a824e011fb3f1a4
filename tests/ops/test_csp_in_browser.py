"""Chromium loads the public pages under the Content Security Policy without a violation."""

import pytest

from checklist.answers import is_shown
from tests.surveys.survey_pages import reveal, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects the browser's own CSP violation reports; an init script runs outside the policy.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture
def browser_page(browser):
    """A page of the session's Chromium (tests/conftest.py) that records CSP violations.

    A test makes its database rows BEFORE this fixture (list the row fixtures first): a row
    written while Playwright's loop runs goes through a second database connection.
    """
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.console_messages_seen = []
    page.on("console", lambda message: page.console_messages_seen.append(message.text))
    yield page
    context.close()


def violations(page) -> list[str]:
    in_console = [text for text in page.console_messages_seen if "Content Security Policy" in text]
    return page.evaluate("window.__cspViolations") + in_console


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/survey/", "/survey/KRG-KZB/", "/survey/KRG-KZB/questions/"])
def test_a_public_page_loads_without_a_csp_violation(survey_ready, live_server, browser_page, url):
    response = browser_page.goto(live_server.url + url, wait_until="networkidle")
    assert response.status == 200
    assert "content-security-policy" in response.headers  # (Playwright lower-cases header names)
    assert browser_page.locator("link[rel=stylesheet]").count() >= 1
    assert violations(browser_page) == []


def test_a_resident_answers_the_survey_with_its_script_running_under_the_policy(
    survey_ready, definition, live_server, browser_page
):
    browser_page.goto(live_server.url + "/survey/KRG-KZB/questions/", wait_until="networkidle")
    answered: dict = {}
    for item in definition.items:  # the first point of every required question that is shown
        if item.required and is_shown(item, answered):
            answered[item.code] = next(option.value for option in item.options if not option.missing)
            reveal(browser_page, item.code)
            browser_page.locator(f"label[for='q-{item.code}-{answered[item.code]}']").click()
    send(browser_page)
    browser_page.wait_for_url(live_server.url + "/survey/thanks/")
    assert violations(browser_page) == []


def test_the_api_docs_render_swagger_ui_offline_without_a_csp_violation(browser_page, live_server):
    browser_page.goto(live_server.url + "/api/docs/", wait_until="networkidle")
    # Swagger UI has run: it fetched the schema and drew the title from it.
    browser_page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "safetysurvey API" in browser_page.inner_text(".swagger-ui .info .title")
    assert violations(browser_page) == []


def test_an_inline_script_without_the_nonce_is_blocked_and_reported(browser_page, live_server):
    # The control: the same detector sees a violation when there is one.
    browser_page.goto(live_server.url + "/", wait_until="networkidle")
    browser_page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = true"; document.body.append(s); }"""
    )
    browser_page.wait_for_function("window.__cspViolations.length > 0", timeout=5_000)
    assert browser_page.evaluate("window.injected === undefined")
    assert any(v.startswith("script-src") for v in violations(browser_page))


def test_the_admin_works_under_the_policy(admin_user, live_server, browser_page):
    from tests.conftest import PASSWORD

    browser_page.goto(live_server.url + "/admin/login/", wait_until="networkidle")
    browser_page.fill("#id_username", admin_user.username)
    browser_page.fill("#id_password", PASSWORD)
    browser_page.click("input[type=submit]")
    browser_page.wait_for_url(live_server.url + "/admin/")
    for url in ("/admin/", f"/admin/auth/user/{admin_user.pk}/change/", "/admin/surveys/wave/add/"):
        assert browser_page.goto(live_server.url + url, wait_until="networkidle").status == 200
        assert violations(browser_page) == [], url
