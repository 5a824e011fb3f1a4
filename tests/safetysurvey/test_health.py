"""/healthz (liveness) and /readyz (readiness) for load balancers."""

import os

import pytest
from django.db import OperationalError, connection

from safetysurvey.celery import app


@pytest.fixture
def broker(settings):
    """broker(url): point settings and the Celery app at a broker for one test."""
    before = app.conf.broker_url

    def _broker(url):
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url

    yield _broker
    app.conf.broker_url = before


def test_healthz_says_ok_without_touching_the_database(client):
    # No db fixture: pytest-django would fail the test on any query.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ok_when_database_and_cache_answer(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_readyz_answers_503_naming_the_database_when_it_is_down(client, db, monkeypatch, settings):
    settings.CELERY_BROKER_URL = ""

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable (OperationalError)", "cache": "ok"},
    }


def test_readyz_answers_503_naming_the_cache_when_it_is_down(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["cache"].startswith("unavailable (")


def test_readyz_answers_503_naming_the_broker_when_it_is_configured_and_down(client, db, broker):
    broker("redis://127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert (checks["database"], checks["cache"]) == ("ok", "ok")
    assert checks["broker"].startswith("unavailable (")


@pytest.mark.redis
def test_readyz_checks_a_real_broker_when_one_is_configured(client, db, broker):
    broker(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
