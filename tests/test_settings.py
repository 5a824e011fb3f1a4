"""Settings fail loudly on a missing production secret or a bad value."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-c", "import safetysurvey.settings as s; print(s.DEBUG, s.CELERY_TASK_ALWAYS_EAGER)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_secret_key_has_no_default_when_debug_is_off():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_development_needs_nothing_set_and_runs_tasks_in_process():
    result = load_settings(DEBUG="1", CELERY_BROKER_URL="")
    assert result.stdout.strip() == "True True"


def test_a_broker_url_selects_real_workers():
    result = load_settings(SECRET_KEY="x" * 50, CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.stdout.strip() == "False False"


def test_a_bad_boolean_fails_loudly():
    result = load_settings(DEBUG="maybe")
    assert "DEBUG must be a boolean" in result.stderr
