"""Every request has an id: echoed in X-Request-ID and carried by the request's log records."""

import logging
import uuid

import pytest

from safetysurvey.logs import RequestIdFilter, request_id_from, request_id_var


def test_a_request_without_an_id_gets_a_new_one(client, db):
    response = client.get("/")
    assert uuid.UUID(hex=response["X-Request-ID"]).version == 4


def test_a_well_formed_id_from_the_proxy_is_echoed(client, db):
    response = client.get("/", headers={"X-Request-ID": "7f3c1a2b9d8e4f60a1b2c3d4e5f60718"})
    assert response["X-Request-ID"] == "7f3c1a2b9d8e4f60a1b2c3d4e5f60718"


@pytest.mark.parametrize("header", ["short", "x" * 65, "two words here", "id\r\nSet-Cookie: a=b", "<script>alert(1)"])
def test_a_malformed_id_is_replaced_by_a_new_one(header):
    assert request_id_from(header) != header
    assert uuid.UUID(hex=request_id_from(header)).version == 4


def test_two_requests_get_two_ids(client, db):
    assert client.get("/")["X-Request-ID"] != client.get("/")["X-Request-ID"]


def test_an_error_response_has_an_id_too(client, db):
    assert client.get("/no-such-page/")["X-Request-ID"]


def record(**extra) -> logging.LogRecord:
    made = logging.LogRecord("test", logging.INFO, __file__, 1, "message", None, None)
    made.__dict__.update(extra)
    return made


def test_the_filter_adds_the_current_request_id_to_a_record():
    token = request_id_var.set("abcdef0123456789")
    try:
        assert RequestIdFilter().filter(made := record())
    finally:
        request_id_var.reset(token)
    assert made.request_id == "abcdef0123456789"


def test_outside_a_request_the_id_is_a_dash():
    RequestIdFilter().filter(made := record())
    assert made.request_id == "-"


def test_a_record_logged_after_the_middleware_takes_the_id_of_its_request():
    # django.request logs 4xx/5xx once the middleware has returned, with extra={"request": ...}.
    class Request:
        request_id = "fedcba9876543210"

    RequestIdFilter().filter(made := record(request=Request()))
    assert made.request_id == "fedcba9876543210"
