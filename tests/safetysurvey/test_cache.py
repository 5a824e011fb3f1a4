"""safetysurvey.cache.RedisCache: Django's Redis cache with shared clients and a one-trip incr()."""

import os
import uuid

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "redis": {
            "BACKEND": "safetysurvey.cache.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        },
    }
    cache = caches["redis"]
    yield cache
    cache.delete_many(["counter", "missing", "text"])


def test_incr_counts_an_existing_key(redis_cache):
    redis_cache.set("counter", 1, timeout=60)
    assert redis_cache.incr("counter") == 2
    assert redis_cache.incr("counter", 5) == 7
    assert redis_cache.get("counter") == 7


def test_incr_of_a_missing_key_raises_value_error_and_creates_nothing(redis_cache):
    with pytest.raises(ValueError):
        redis_cache.incr("missing")
    assert redis_cache.get("missing") is None


def test_incr_keeps_the_timeout(redis_cache):
    redis_cache.set("counter", 1, timeout=60)
    redis_cache.incr("counter")
    client = redis_cache._cache.get_client("counter")
    assert 0 < client.ttl(redis_cache.make_key("counter")) <= 60


def test_the_client_object_is_made_once_per_pool(redis_cache):
    assert redis_cache._cache.get_client("a") is redis_cache._cache.get_client("b")


def test_the_rest_of_the_cache_api_still_works(redis_cache):
    assert redis_cache.add("text", "привет", timeout=60) is True
    assert redis_cache.add("text", "other", timeout=60) is False
    assert redis_cache.get("text") == "привет"


def test_decr_counts_down_an_existing_key_and_refuses_a_missing_one(redis_cache):
    redis_cache.set("counter", 5, timeout=60)
    assert redis_cache.decr("counter") == 4
    with pytest.raises(ValueError):
        redis_cache.decr("missing")
