"""Every 403, 404 and 500 page is styled, translated and offers a way on (issue 11, item 8)."""

import pytest
from django.test import Client, override_settings


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_a_volunteer_refused_the_reports_gets_a_styled_page_in_their_language(login, volunteer_a, language):
    client = login(volunteer_a)
    client.cookies["django_language"] = language
    response = client.get("/reports/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'href="/static/css/site.css"' in page, "the page carries the site's styles"
    assert f'<html lang="{language}">' in page
    assert 'href="/accounts/home/"' in page, "it links to the volunteer's own start page"
    assert "403 Forbidden" not in page
    if language != "en":
        assert "Not allowed" not in page, "the title is translated"


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_an_unknown_page_is_a_translated_page_with_navigation(client, db, language):
    client.cookies["django_language"] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'href="/static/css/site.css"' in page and 'href="/survey/"' in page
    assert "Page not found" not in page and "Not Found" not in page


def test_a_server_error_is_a_styled_page_not_a_traceback(db, monkeypatch):
    from safetysurvey import views

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "home", broken)
    with override_settings(ROOT_URLCONF="tests.safetysurvey.broken_urls"):
        client = Client(raise_request_exception=False)
        client.cookies["django_language"] = "kk"
        response = client.get("/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'href="/static/css/site.css"' in page and '<html lang="kk">' in page
    assert "Server Error" not in page and "Something went wrong" not in page


def test_the_favicon_is_served_where_browsers_look_for_it(client, db):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.ico"
    with open(finders.find("favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00", "a real ICO file"
