"""`make run` says what it does and prints no warnings a new user would take for a fault
(issue 11, item 16)."""

import logging
from pathlib import Path

from django.conf import settings

from safetysurvey.celery import app


def test_without_a_broker_celery_runs_in_process_on_a_named_memory_broker():
    assert app.conf.broker_url == (settings.CELERY_BROKER_URL or "memory://localhost/")


def test_sending_a_task_in_development_warns_of_no_missing_hostname(caplog):
    with caplog.at_level(logging.WARNING, logger="kombu"):
        with app.producer_or_acquire() as producer:
            assert producer.connection.hostname == "localhost"
    assert not [r for r in caplog.records if "No hostname" in r.getMessage()]


def test_each_step_of_make_run_says_what_it_does():
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    run = makefile.split("\nrun: setup\n", 1)[1].split("\n\n", 1)[0]
    steps = [line for line in run.splitlines() if "manage.py" in line]
    echoes = [line for line in run.splitlines() if line.strip().startswith("@echo")]
    assert len(echoes) >= len(steps) - 1, "every step but the server itself announces itself"
    assert "Installing the Python packages" in makefile
