"""While the cache is down, submissions go through and the outage is logged once per process
(not once per request); when the cache answers again that is logged, and a later outage is
warned about again (safetysurvey/outages.py)."""

import logging
import uuid

import pytest

from safetysurvey.outages import CACHE
from surveys import ratelimit

API = "/api/v1/responses/"
ADDRESS = "203.0.113.9"


@pytest.fixture(autouse=True)
def _cache_known_up(monkeypatch):
    monkeypatch.setattr(CACHE, "down", False)  # whatever earlier tests left behind


@pytest.fixture
def cache_down(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def take_down():
        for method in ("get", "add", "incr", "decr", "set"):
            monkeypatch.setattr(ratelimit.cache, method, broken)

    return take_down


def post(client, valid_answers):
    body = {"district": "KRG-KZB", "language": "ru", "answers": valid_answers, "client_id": str(uuid.uuid4())}
    return client.post(API, body, content_type="application/json", REMOTE_ADDR=ADDRESS).status_code


def outage_records(caplog, level):
    return [r for r in caplog.records if r.name == "safetysurvey.outages" and r.levelno == level]


def test_an_outage_is_warned_about_once_however_many_submissions_it_lets_through(
    client, survey_ready, valid_answers, cache_down, caplog
):
    cache_down()
    with caplog.at_level(logging.INFO):
        assert [post(client, valid_answers) for _ in range(4)] == [201] * 4
    (warning,) = outage_records(caplog, logging.WARNING)
    assert warning.getMessage().startswith("cache unavailable (ConnectionError: Error 111")
    assert "lets every submission through" in warning.getMessage() and warning.exc_info is None
    assert ADDRESS not in caplog.text


def test_the_cache_answering_again_is_logged_and_the_next_outage_is_warned_about_again(
    client, survey_ready, valid_answers, cache_down, monkeypatch, caplog
):
    with caplog.at_level(logging.INFO):
        with monkeypatch.context() as outage:
            outage.setattr(ratelimit.cache, "incr", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("down")))
            assert post(client, valid_answers) == 201
        assert post(client, valid_answers) == 201  # the cache answers
        cache_down()
        assert post(client, valid_answers) == 201
    assert len(outage_records(caplog, logging.WARNING)) == 2
    (back,) = outage_records(caplog, logging.INFO)
    assert back.getMessage() == "cache reachable again"
