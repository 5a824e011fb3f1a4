"""A request that finds the database unreachable gets a clean 503 with Retry-After: JSON on
the API, a short page in the visitor's language elsewhere; never a 500 with a traceback.
(tests/ops/test_postgres_restart.py restarts a real PostgreSQL under load.)"""

import logging
import uuid

import pytest
from django.db import InterfaceError, OperationalError
from django.utils import translation

from safetysurvey.outages import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from surveys import api, views

API = "/api/v1/responses/"
ERRORS = [OperationalError("connection refused\nIs the server running?"), InterfaceError("connection already closed")]


def _in(language: str, message) -> str:
    """A message constant, or a template's msgid, in `language`."""
    with translation.override(language):
        return translation.gettext(message) if isinstance(message, str) else str(message)


def _database_gone(error):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.mark.parametrize("error", ERRORS, ids=["operational", "interface"])
def test_an_api_post_that_finds_the_database_away_gets_503_json_with_retry_after(
    client, survey_ready, valid_answers, monkeypatch, error
):
    monkeypatch.setattr(api, "response_submit", _database_gone(error))
    body = {"district": "KRG-KZB", "language": "kk", "answers": valid_answers, "client_id": str(uuid.uuid4())}
    response = client.post(API, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="kk")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": _in("kk", DATABASE_UNAVAILABLE)}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]


def test_a_survey_page_that_finds_the_database_away_gets_a_friendly_503_page(client, monkeypatch):
    monkeypatch.setattr(views, "_open_survey", _database_gone(ERRORS[0]))
    response = client.get("/survey/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert _in("ru", "Please try again in a minute") in page and 'lang="ru"' in page
    assert _in("ru", "Please try again in a minute") != "Please try again in a minute"  # translated
    assert "Traceback" not in page and "OperationalError" not in page


def test_the_503_is_logged_as_a_warning_naming_the_path_and_not_the_client(client, monkeypatch, caplog):
    monkeypatch.setattr(views, "_open_survey", _database_gone(ERRORS[0]))
    with caplog.at_level(logging.WARNING, logger="safetysurvey.outages"):
        client.get("/survey/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="PhoneBrowser/1.0")
    (record,) = [r for r in caplog.records if r.name == "safetysurvey.outages"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "GET /survey/" in record.getMessage() and "connection refused" in record.getMessage()
    assert "203.0.113.7" not in caplog.text and "PhoneBrowser" not in caplog.text


class _FailsAfterTheView:
    """A middleware whose own database call fails (as SessionMiddleware saving a session would)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.get_response(request)
        raise OperationalError("server closed the connection unexpectedly")


def test_a_database_error_outside_a_view_answers_503_too(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}._FailsAfterTheView"]
    client.raise_request_exception = False
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert _in("ru", "Please try again in a minute") in response.content.decode()


def test_other_errors_are_still_a_500(client, monkeypatch):
    monkeypatch.setattr(views, "_open_survey", _database_gone(ValueError("a bug")))
    client.raise_request_exception = False
    response = client.get("/survey/")
    assert response.status_code == 500
    assert "Retry-After" not in response
