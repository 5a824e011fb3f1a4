"""The short form of the load run (bench/load.py; the full one is in BENCHMARKS.md, "Load").

20 seconds of a campaign's peak with 30 users against gunicorn, PostgreSQL, Redis and a
Celery worker that the script starts on 127.0.0.1 with a database of its own (dropped at
the end) and a Redis key prefix of its own. locust runs in its own process, so gevent never
patches this one. No 5xx, and every answered submission is exactly one row.
"""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.conftest import REDIS_URL

from .helpers import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]

# Setting up (database, migrations, static files, processes) takes some 15-20 s, the load 20 s.
TIMEOUT_SECONDS = 240


def load_database_url() -> str:
    """A database beside this run's own, named after it (so parallel runs never share one)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/bench_load_{s['NAME']}"


def test_a_short_campaign_peak_gets_no_5xx_and_every_stored_answer_is_one_row(tmp_path):
    summary = tmp_path / "load.json"
    command = [
        sys.executable, "bench/load.py", "--duration", "20", "--users", "30", "--think-scale", "0.5",
        "--seed-responses", "3000", "--sheets", "60", "--redis", REDIS_URL, "--json", str(summary),
        "--keep", str(tmp_path / "logs"), "--drop-database",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_DATABASE_URL": load_database_url()}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    output = run.stdout[-6000:] + run.stderr[-3000:]
    assert run.returncode == 0, output
    result = json.loads(summary.read_text())
    every = result["rows"][-1]
    assert every["endpoint"] == "all requests" and every["requests"] > 100, output
    assert every["5xx"] == 0 and result["server_5xx"] == 0, output
    assert result["count_check"], "\n".join(result["count_check_lines"])
    outcomes = result["outcomes"]
    # Every kind of person got through: residents stored answers by the form and the API,
    # volunteers keyed sheets, an analyst asked for a report.
    assert outcomes["form_stored"] > 0 and outcomes["api_created"] > 0, output
    assert outcomes["paper_first"] > 0 and outcomes["reports_requested"] > 0, output
