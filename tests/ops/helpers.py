"""Running manage.py or Python in a subprocess with production-like settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Variables of the test run that must not leak into a "production" process.
_DROPPED = (
    "PYTEST_VERSION",
    "DEBUG",
    "SECRET_KEY",
    "HTTPS",
    "ALLOWED_HOSTS",
    "LOG_FORMAT",
    "MEDIA_STORAGE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # browser tests set it; production never does (async.E001)
)


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a production process: DEBUG off, a random 50+ character secret,
    a real host name, HTTPS behind a proxy, and a throwaway SQLite database."""
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED and not key.startswith("AWS_")}
    env |= {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "survey.example.kz",
        "HTTPS": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "CELERY_BROKER_URL": "",
    }
    return env | overrides


def run(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
