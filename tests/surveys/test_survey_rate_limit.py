"""Abuse control without identity: a per-address limit per hour, held only in the cache under
an HMAC of the address, counting successful submissions, answered with a friendly 429."""

import pickle

import pytest
import time_machine
from django.core.cache import cache

from surveys import ratelimit
from surveys.models import Response

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.77"


def test_the_submission_after_the_limit_gets_a_friendly_429_and_is_not_stored(fill_in, survey_ready, settings):
    settings.SURVEY_RATE_LIMIT = 3
    for _ in range(3):
        assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302
    page = fill_in(REMOTE_ADDR=ADDRESS)
    assert page.status_code == 429
    assert "Попробуйте позже" in page.content.decode()
    assert "Ваши ответы не сохранены." in page.content.decode()
    assert Response.objects.count() == 3


def test_the_429_page_speaks_kazakh(fill_in, survey_ready, settings):
    settings.SURVEY_RATE_LIMIT = 1
    fill_in(REMOTE_ADDR=ADDRESS)
    page = fill_in(REMOTE_ADDR=ADDRESS, HTTP_ACCEPT_LANGUAGE="kk")
    assert page.status_code == 429
    assert "Жауаптарыңыз сақталмады." in page.content.decode()


def test_the_default_limit_is_twenty_an_hour(settings):
    assert settings.SURVEY_RATE_LIMIT == 20


def test_only_successful_submissions_count(fill_in, survey_ready, definition, settings):
    settings.SURVEY_RATE_LIMIT = 2
    for _ in range(5):
        assert fill_in(answers={"safe_walk_dark": "3"}, REMOTE_ADDR=ADDRESS).status_code == 200
    assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302
    assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302
    assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 429


def test_other_addresses_are_not_held_back(fill_in, survey_ready, settings):
    settings.SURVEY_RATE_LIMIT = 1
    assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302
    assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 429
    assert fill_in(REMOTE_ADDR="198.51.100.5").status_code == 302


def test_the_limit_starts_again_in_the_next_hour(fill_in, survey_ready, settings):
    settings.SURVEY_RATE_LIMIT = 1
    with time_machine.travel("2026-03-02 10:59:00+05:00", tick=False) as clock:
        assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302
        assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 429
        clock.shift(120)
        assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302


def test_no_cache_key_or_value_holds_the_address(fill_in, survey_ready, settings):
    settings.SURVEY_RATE_LIMIT = 5
    fill_in(REMOTE_ADDR=ADDRESS)
    fill_in(REMOTE_ADDR=ADDRESS)
    store = cache._cache  # LocMemCache: key -> pickled value
    assert store, "the counter should be in the cache"
    for key, value in store.items():
        assert ADDRESS not in key
        assert ADDRESS.encode() not in value
        assert ADDRESS not in repr(pickle.loads(value))
    assert 2 in [pickle.loads(value) for value in store.values()]


def test_the_address_is_stored_nowhere_in_the_database(fill_in, survey_ready):
    fill_in(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT="Mozilla/5.0 (Tester)")
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            for row in cursor.fetchall():
                assert ADDRESS not in repr(row), table
                assert "Tester" not in repr(row), table


def test_a_limit_of_zero_switches_the_limit_off(fill_in, survey_ready, settings):
    settings.SURVEY_RATE_LIMIT = 0
    for _ in range(3):
        assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(fill_in, survey_ready, settings):
    settings.SURVEY_RATE_LIMIT = 1
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert fill_in(HTTP_X_FORWARDED_FOR=ADDRESS, **proxy).status_code == 302
    assert fill_in(HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ADDRESS}", **proxy).status_code == 429
    assert fill_in(HTTP_X_FORWARDED_FOR="198.51.100.5", **proxy).status_code == 302


def test_the_key_of_one_address_changes_every_hour(rf):
    request = rf.get("/", REMOTE_ADDR=ADDRESS)
    one = ratelimit.rate_limit_key(request, now=3600 * 100 + 5)
    same_hour = ratelimit.rate_limit_key(request, now=3600 * 100 + 3000)
    next_hour = ratelimit.rate_limit_key(request, now=3600 * 101 + 5)
    assert one == same_hour
    assert one.split(":")[-1] != next_hour.split(":")[-1]
    assert ADDRESS not in one


def test_the_key_depends_on_the_secret(rf, settings):
    request = rf.get("/", REMOTE_ADDR=ADDRESS)
    before = ratelimit.rate_limit_key(request, now=0)
    settings.SECRET_KEY = "another-secret-" + "x" * 40
    assert ratelimit.rate_limit_key(request, now=0) != before


def test_counting_returns_the_new_count(rf):
    request = rf.get("/", REMOTE_ADDR=ADDRESS)
    assert [ratelimit.rate_limit_count(request, scope="api", now=7200) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.rate_limit_used(request, scope="api", now=7200) == 3
    assert ratelimit.rate_limit_used(request, scope="survey", now=7200) == 0


def test_complete_answers_helper_answers_every_required_question(definition, complete_answers):
    # Guards the other tests: a "valid" sheet that was not valid would make them meaningless.
    from checklist.answers import clean_answers

    answers = {code: int(value) for code, value in complete_answers().items()}
    assert clean_answers(definition, answers)[1] == {}


@pytest.mark.redis
def test_on_redis_the_limit_holds_and_no_key_or_value_holds_the_address(fill_in, survey_ready, settings):
    import uuid

    import redis

    from tests.conftest import REDIS_URL

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.SURVEY_RATE_LIMIT = 1
    server = redis.Redis.from_url(REDIS_URL)
    try:
        assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 302
        assert fill_in(REMOTE_ADDR=ADDRESS).status_code == 429
        keys = list(server.scan_iter(f"{prefix}*"))
        assert keys, "the counter should be in Redis"
        for key in keys:
            assert ADDRESS.encode() not in key
            assert ADDRESS.encode() not in server.get(key)
            assert 0 < server.ttl(key) <= 3660  # gone with its hour
    finally:
        for key in server.scan_iter(f"{prefix}*"):
            server.delete(key)
