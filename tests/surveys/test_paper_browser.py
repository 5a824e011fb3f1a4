"""In a real browser: two volunteers key the same sheet by keyboard with one difference,
the coordinator resolves it, and the response shows in the district's counts; a volunteer
of another district is refused."""

import pytest
from django.test import Client
from django.utils import translation

from checklist.definition import definition_for
from surveys.paper_answers import keyed_text
from surveys.paper_services import SERIAL_CHECK_FAILED, SERIAL_NOT_YOURS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_as(browser, live_server):
    """page_as(user) -> a Playwright page logged in as that user (session cookie, no typing)."""
    contexts = []

    def _page(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield _page
    for context in contexts:
        context.close()


def key_sheet(page, base_url, serial, definition, answers):
    """Keyboard only: the serial, Enter, then each answer followed by Enter."""
    page.goto(f"{base_url}/volunteer/enter/")
    page.keyboard.type(serial)  # the serial field has the focus
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/volunteer/enter/{serial}/")
    for item in definition.items:
        page.keyboard.type(keyed_text(item, answers.get(item.code)))
        with page.expect_navigation() if item is definition.items[-1] else _nothing():
            page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/volunteer/enter/")


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_two_volunteers_a_conflict_resolved_by_the_coordinator_and_a_stranger_refused(
    live_server, page_as, paper_batch, volunteer_a, volunteer_a2, coordinator, volunteer_b, sheet_answers
):
    definition = definition_for(paper_batch.checklist)
    sheet = paper_batch.sheets.order_by("number").first()
    base = live_server.url

    first = page_as(volunteer_a)
    # A typo in the serial is caught in the page, before anything is sent.
    first.goto(f"{base}/volunteer/enter/")
    first.keyboard.type(sheet.serial[:-1] + ("Z" if not sheet.serial.endswith("Z") else "Y"))
    first.keyboard.press("Enter")
    with translation.override("ru"):
        assert first.locator("#serial-error").inner_text().strip() == str(SERIAL_CHECK_FAILED)
    assert first.url == f"{base}/volunteer/enter/"
    key_sheet(first, base, sheet.serial, definition, sheet_answers)
    assert sheet.serial in first.locator(".messages").inner_text()

    second = page_as(volunteer_a2)
    key_sheet(second, base, sheet.serial, definition, {**sheet_answers, "safe_walk_day": 3})
    assert "1" in second.locator(".messages").inner_text()

    boss = page_as(coordinator)
    boss.goto(f"{base}/volunteer/reconcile/")
    boss.locator(f"a[href$='/sheets/{sheet.serial}/reconcile/']").click()
    row = boss.locator("tr.differs")
    assert row.count() == 1 and "3 ·" in row.inner_text() and "4 ·" in row.inner_text()
    row.locator("input[value=first]").check()
    boss.locator("form.reconcile-form button[type=submit]").click()
    boss.wait_for_url(f"{base}/volunteer/reconcile/")
    boss.goto(f"{base}/volunteer/progress/")
    counts = boss.locator("tr[data-district='KRG-KZB'] td.in-reports").inner_text()
    assert counts == "1"

    stranger = page_as(volunteer_b)
    stranger.goto(f"{base}/volunteer/enter/")
    serial = stranger.locator("input[name=serial]")
    serial.fill(paper_batch.sheets.order_by("number")[1].serial)
    with stranger.expect_navigation() as refused:
        serial.press("Enter")
    assert refused.value.status == 403
    with translation.override("ru"):
        assert stranger.locator("#serial-error").inner_text().strip() == str(SERIAL_NOT_YOURS)
    response = stranger.goto(f"{base}/volunteer/batches/{paper_batch.pk}/")
    assert response.status == 403
