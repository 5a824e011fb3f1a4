"""The admin's time-zone note stays off date-only fields (issue 11, item 10).

Django 6.1's calendar script adds "Note: Enter times in the … timezone" to every date input
when the browser's time zone differs from the server's, though a date has no time to enter;
static/css/admin.css hides it there and leaves it on date-and-time fields."""

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_page(admin_user, browser, live_server):
    """The admin, logged in, in a browser two time zones away from the server (Asia/Almaty)."""
    context = browser.new_context(locale="ru-RU", timezone_id="Europe/Berlin", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "django_language", "value": "ru", "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    yield page
    context.close()


def test_the_date_fields_of_a_wave_show_no_time_zone_note(admin_page, live_server):
    admin_page.goto(live_server.url + "/admin/surveys/wave/add/", wait_until="load")
    admin_page.wait_for_selector("#id_starts_on ~ .datetimeshortcuts")  # the calendar script has run
    notes = admin_page.locator(".timezonewarning")
    assert notes.count() == 2, "Django's script added its note to both date fields"
    for index in range(notes.count()):
        assert not notes.nth(index).is_visible()
    assert "Note: Enter times" not in admin_page.inner_text("body")


def test_a_date_and_time_field_keeps_its_time_zone_note_in_russian(admin_page, live_server, admin_user):
    admin_page.goto(live_server.url + f"/admin/auth/user/{admin_user.pk}/change/", wait_until="load")
    admin_page.wait_for_selector("#id_date_joined_0 ~ .datetimeshortcuts")
    note = admin_page.locator("#id_date_joined_timezone_warning_helptext")
    assert note.is_visible()
    assert note.inner_text().startswith("Внимание: время вводится в часовом поясе Asia/Almaty.")
