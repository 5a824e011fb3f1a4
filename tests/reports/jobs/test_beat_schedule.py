"""celery beat's schedule names real tasks, and the nightly time comes from the environment."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.conf import settings

from safetysurvey.celery import app

ROOT = Path(__file__).resolve().parents[3]


def test_every_scheduled_task_exists():
    for config in apps.get_app_configs():  # what the worker's autodiscovery imports
        if (Path(config.path) / "tasks.py").exists():
            importlib.import_module(f"{config.name}.tasks")
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"{name} names an unknown task {entry['task']}"


def test_the_nightly_regeneration_time_is_configurable():
    environment = {k: v for k, v in os.environ.items() if k != "REPORTS_NIGHTLY_CRON"}
    code = (
        "import safetysurvey.settings as s; c = s.CELERY_BEAT_SCHEDULE['regenerate-current-wave-reports']['schedule'];"
        " print(sorted(c.hour), sorted(c.minute))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**environment, "DEBUG": "1", "REPORTS_NIGHTLY_CRON": "15 4 * * *"},
    )
    assert result.stdout.strip() == "[4] [15]", result.stderr
    bad = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**environment, "DEBUG": "1", "REPORTS_NIGHTLY_CRON": "every night"},
    )
    assert "A cron schedule has five fields" in bad.stderr
