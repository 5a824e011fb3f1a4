"""On CI (REQUIRE_SERVICES=1) the suite must really run on PostgreSQL with Redis reachable."""

import pytest
from django.db import connection


@pytest.mark.postgres
def test_the_suite_runs_on_postgresql(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::jsonb ->> 'a'", ['{"a": "b"}'])
        assert cursor.fetchone() == ("b",)


@pytest.mark.redis
def test_redis_answers():
    import redis

    from .conftest import REDIS_URL

    assert redis.Redis.from_url(REDIS_URL).ping()
