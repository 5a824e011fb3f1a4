"""Reconciliation lists its differences with links, names an unsettled question in the error,
fills the value box from the entry taken, and moves to the next difference by keyboard
(issue 11, item 13)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect


def test_the_differences_are_listed_at_the_top_with_links_to_their_rows(login, coordinator, conflict, definition):
    page = login(coordinator).get(reverse("paper:reconcile", args=[conflict.serial])).content.decode()
    listed = page[page.index('class="differences"'):page.index("</nav>", page.index('class="differences"'))]
    assert "Расходятся 2 вопроса" in listed
    for code in ("safe_walk_day", "env_cctv"):
        assert f'href="#row-{code}"' in listed and f'id="row-{code}"' in page
        assert f"{definition.numbers[code]}. " in listed
    assert listed.index("row-safe_walk_day") < listed.index("row-env_cctv"), "in sheet order"


def test_an_undecided_difference_is_named_in_the_error_summary(login, coordinator, conflict, definition):
    client = login(coordinator)
    form = client.get(reverse("paper:reconcile", args=[conflict.serial])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if not name.startswith("pick-")}
    data["pick-safe_walk_day"] = "first"
    page = client.post(reverse("paper:reconcile", args=[conflict.serial]), data).content.decode()
    summary = page[page.index('class="error-summary"'):page.index("</div>", page.index('class="error-summary"'))]
    assert 'href="#row-env_cctv"' in summary
    assert f"{definition.numbers['env_cctv']}. {definition.by_code['env_cctv'].question('ru')}" in summary
    assert "row-safe_walk_day" not in summary


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_taking_an_entry_fills_the_value_box_and_alt_n_moves_on(page, live_server, coordinator, conflict):
    page.context.add_cookies([_session_cookie(live_server, coordinator)])
    page.goto(f"{live_server.url}{reverse('paper:reconcile', args=[conflict.serial])}")
    box = page.locator("#id_safe_walk_day")
    expect(box).to_have_value("")
    page.locator("#row-safe_walk_day label.pick-first").click()
    expect(box).to_have_value("4")
    page.locator("#row-safe_walk_day label.pick-second").click()
    expect(box).to_have_value("2")

    page.keyboard.press("Alt+KeyN")
    focused = page.evaluate("document.activeElement.closest('tr') && document.activeElement.closest('tr').id")
    assert focused == "row-env_cctv"
    page.keyboard.press("Alt+KeyN")
    assert re.fullmatch("row-safe_walk_day", page.evaluate("document.activeElement.closest('tr').id"))


def _session_cookie(live_server, user) -> dict:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url}
