"""The per-address limit on anonymous API submissions: 429 with a message, held only in the
cache under an HMAC of the address."""

import datetime
import os
import uuid

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import translation

from surveys import api, ratelimit
from surveys.models import Response

URL = "/api/v1/responses/"
ADDRESS = "203.0.113.7"


@pytest.fixture
def limit_of_two(settings):
    settings.SURVEY_RATE_LIMIT = 2


@pytest.fixture
def local_cache(settings):
    """An in-process cache whose stored keys the test can list, whatever CACHE_URL says."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rate"}}
    from django.core.cache import cache

    cache.clear()
    return cache


@pytest.fixture
def body(survey_ready, valid_answers):
    return {"district": "KRG-KZB", "language": "ru", "answers": valid_answers}


def post(client, body, address=ADDRESS, language="en"):
    return client.post(
        URL, body, content_type="application/json", REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language
    )


def test_submissions_over_the_limit_get_429_with_a_message_and_are_not_stored(client, body, limit_of_two):
    assert [post(client, body).status_code for _ in range(2)] == [201, 201]
    response = post(client, body)
    assert response.status_code == 429
    with translation.override("en"):
        assert response.json() == {"detail": str(api.RATE_LIMITED)}
    assert 0 < int(response["Retry-After"]) <= 3601
    assert Response.objects.count() == 2


def test_the_429_message_follows_accept_language(client, body, limit_of_two):
    post(client, body), post(client, body)
    response = post(client, body, language="kk")
    assert response.json() == {
        "detail": "Соңғы бір сағатта сіздің желіңізден тым көп жауап келді. Кейінірек қайталап көріңіз."
    }


def test_another_address_is_not_limited(client, body, limit_of_two):
    post(client, body), post(client, body)
    assert post(client, body, address="198.51.100.20").status_code == 201


def test_refused_submissions_do_not_count(client, body, limit_of_two):
    for _ in range(3):
        assert post(client, body | {"district": "nowhere"}).status_code == 400
    assert post(client, body).status_code == 201


def test_a_repeated_client_id_does_not_count_again(client, body, limit_of_two):
    body["client_id"] = str(uuid.uuid4())
    assert [post(client, body).status_code for _ in range(3)] == [201, 200, 200]
    assert post(client, body | {"client_id": str(uuid.uuid4())}).status_code == 201


def test_a_retry_of_a_stored_response_still_gets_its_200_over_the_limit(client, body, limit_of_two):
    body["client_id"] = str(uuid.uuid4())
    first = post(client, body)
    post(client, body | {"client_id": str(uuid.uuid4())})
    assert post(client, body | {"client_id": str(uuid.uuid4())}).status_code == 429
    again = post(client, body)
    assert again.status_code == 200
    assert again.json() == first.json()


def test_over_the_limit_a_malformed_request_with_a_stored_client_id_gets_429_not_the_stored_response(
    client, body, limit_of_two
):
    body["client_id"] = str(uuid.uuid4())
    post(client, body)
    post(client, body | {"client_id": str(uuid.uuid4())})
    assert post(client, {"client_id": body["client_id"]}).status_code == 429
    assert post(client, body | {"answers": {"safe_walk_day": {"x": 1}}}).status_code == 429
    assert post(client, body).status_code == 200


def test_the_api_and_the_resident_form_share_one_limit(client, body, limit_of_two, fill_in):
    assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302
    assert post(client, body).status_code == 201
    assert post(client, body).status_code == 429


def test_addresses_in_one_ipv6_64_network_share_a_limit(client, body, limit_of_two):
    post(client, body, address="2001:db8:1:2::10")
    post(client, body, address="2001:db8:1:2:ffff::1")
    assert post(client, body, address="2001:db8:1:2::99").status_code == 429
    assert post(client, body, address="2001:db8:1:3::10").status_code == 201


def test_the_count_starts_again_in_the_next_hour(client, body, limit_of_two):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 10, 30, tzinfo=datetime.UTC)):
        post(client, body), post(client, body)
        assert post(client, body).status_code == 429
    with time_machine.travel(datetime.datetime(2026, 3, 1, 11, 0, 1, tzinfo=datetime.UTC)):
        assert post(client, body).status_code == 201


def test_the_cache_holds_neither_the_address_nor_the_address_hashed_without_a_key(client, body, local_cache):
    import hashlib

    post(client, body)
    keys = [str(key) for key in local_cache._cache]  # LocMemCache: the keys as stored
    assert len(keys) == 1
    assert ADDRESS not in keys[0]
    assert hashlib.sha256(ADDRESS.encode()).hexdigest()[:40] not in keys[0]
    assert hashlib.sha1(ADDRESS.encode()).hexdigest()[:40] not in keys[0]


def test_the_key_depends_on_the_secret_key(settings):
    request = RequestFactory().post(URL, REMOTE_ADDR=ADDRESS)
    first = ratelimit.rate_limit_key(request, now=0)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert ratelimit.rate_limit_key(request, now=0) != first


def test_a_limit_of_zero_turns_the_limit_off(client, body, settings, local_cache):
    settings.SURVEY_RATE_LIMIT = 0
    assert {post(client, body).status_code for _ in range(3)} == {201}
    assert list(local_cache._cache) == []


def test_submissions_still_work_when_the_cache_is_down(client, body, limit_of_two, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "add", "incr", "decr", "set"):
        monkeypatch.setattr(ratelimit.cache, method, broken)
    assert [post(client, body).status_code for _ in range(3)] == [201, 201, 201]


@pytest.mark.redis
def test_the_limit_holds_with_the_production_redis_cache(client, body, limit_of_two, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "safetysurvey.cache.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    assert [post(client, body).status_code for _ in range(3)] == [201, 201, 429]
    assert Response.objects.count() == 2


def test_a_request_that_breaks_off_with_an_error_gives_its_submission_back(client, body, limit_of_two):
    for raw in ("{not json", "[]", '{"district": "nowhere"}'):
        response = client.post(URL, raw, content_type="application/json", REMOTE_ADDR=ADDRESS)
        assert response.status_code == 400
    assert [post(client, body).status_code for _ in range(3)] == [201, 201, 429]


def test_two_requests_racing_at_the_limit_cannot_both_pass(rf, limit_of_two):
    request = rf.post(URL, REMOTE_ADDR=ADDRESS)
    assert ratelimit.rate_limit_take(request) is True
    assert ratelimit.rate_limit_take(request) is True  # both taken before either is stored
    assert ratelimit.rate_limit_take(request) is False
    ratelimit.rate_limit_give_back(request)  # the second one stored nothing
    assert ratelimit.rate_limit_take(request) is True


def test_taking_works_with_the_cache_down(rf, limit_of_two, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "add", "incr", "decr", "set"):
        monkeypatch.setattr(ratelimit.cache, method, broken)
    request = rf.post(URL, REMOTE_ADDR=ADDRESS)
    assert all(ratelimit.rate_limit_take(request) for _ in range(5))
    ratelimit.rate_limit_give_back(request)
