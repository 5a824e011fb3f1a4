"""PostgreSQL restarted during a load run: requests in flight fail cleanly (503 with a JSON
error and Retry-After, never a 500), the app reconnects by itself, and every response that
got a 201 is in the database exactly once.

The machine's PostgreSQL is never restarted: this test starts a private PostgreSQL 15
cluster in a temporary directory (tests/ops/processes.py), migrates a database there, loads
the shipped checklist and districts and opens a wave, and runs gunicorn as production does
(2 gthread workers, the production config file, persistent connections with
DATABASE_CONN_MAX_AGE's default and CONN_HEALTH_CHECKS). Client threads post responses with
client_ids as phones would, retrying a failed request with the SAME client_id; midway,
`pg_ctl restart -m fast` cuts every connection.
"""

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest

from surveys.api import EXAMPLE_BODY

from .helpers import production_env, run
from .processes import PostgresCluster, free_port, gunicorn, post_json, wait_until

pytestmark = pytest.mark.postgres

API = "/api/v1/responses/"
CLIENTS = 6
BEFORE_RESTART_SECONDS = 3  # load before the restart ...
AFTER_RESTART_SECONDS = 4  # ... and after it is back
FINISH_SECONDS = 15  # for each client to get its last response stored
RETRY_PAUSE_SECONDS = 0.2  # a phone would wait Retry-After (5 s); the test keeps it short

SETUP = """
import datetime
import django
django.setup()
from django.core.management import call_command
from surveys.models import Wave
call_command("migrate", interactive=False, verbosity=0)
call_command("load_districts", verbosity=0)
call_command("load_checklist", verbosity=0)
Wave.objects.create(code="2020", name="2020", starts_on=datetime.date(2020, 3, 1), is_open=True)
"""


@pytest.fixture
def private_postgres():
    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@dataclass
class Log:
    """What the clients saw, appended to from their threads (list.append is atomic)."""

    stored: list[tuple[str, int, float]] = field(default_factory=list)  # client_id, 201/200, when
    refused: list[tuple[int, dict, str, float]] = field(default_factory=list)  # status, headers, body, when
    broken: list[str] = field(default_factory=list)  # connection errors
    gave_up: list[str] = field(default_factory=list)


def client(base: str, body: dict, log: Log, stop: threading.Event, deadline: list[float]):
    """Posts responses one after the other until `stop`; each one is retried with its own
    client_id until it is stored (201, or 200 when an earlier try was stored after all)."""
    while not stop.is_set():
        client_id = str(uuid.uuid4())
        while True:
            if time.monotonic() > deadline[0]:
                log.gave_up.append(client_id)
                return
            try:
                answer = post_json(base, API, body | {"client_id": client_id}, timeout=10)
            except (OSError, http.client.HTTPException) as error:  # reset, refused, timed out
                log.broken.append(f"{type(error).__name__}: {error}")
                time.sleep(RETRY_PAUSE_SECONDS)
                continue
            if answer.status in (200, 201):
                log.stored.append((client_id, answer.status, time.monotonic()))
                break
            log.refused.append((answer.status, answer.headers, answer.text, time.monotonic()))
            time.sleep(RETRY_PAUSE_SECONDS)


def test_a_postgresql_restart_under_load_fails_requests_cleanly_and_loses_or_doubles_nothing(
    private_postgres, tmp_path
):
    cluster = private_postgres
    env = production_env(
        tmp_path,
        HTTPS="0",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=cluster.create_database("ss_rel_restart"),
        SURVEY_RATE_LIMIT="0",  # every client is 127.0.0.1
        WEB_CONCURRENCY="2",
        DJANGO_SETTINGS_MODULE="safetysurvey.settings",
    )
    env.pop("DATABASE_CONN_MAX_AGE", None)  # production's default: persistent connections
    setup = run(["-c", SETUP], env)
    assert setup.returncode == 0, setup.stderr[-4000:]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = gunicorn(env=env, log_dir=tmp_path, port=port, extra=("--worker-class", "gthread", "--threads", "4"))
    log, stop, deadline = Log(), threading.Event(), [float("inf")]
    body = {"district": "KRG-KZB", "language": "ru", "answers": EXAMPLE_BODY["answers"]}  # valid for v1
    threads = [threading.Thread(target=client, args=(base, body, log, stop, deadline), daemon=True)
               for _ in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: len(log.stored) >= 20, timeout=20, what="the first responses", processes=[web])
        time.sleep(BEFORE_RESTART_SECONDS)
        restart_began = time.monotonic()
        restarted = cluster.restart()
        restart_ended = time.monotonic()
        assert restarted.returncode == 0, f"{restarted.stdout}\n{restarted.stderr}\n{cluster.server_log()}"
        time.sleep(AFTER_RESTART_SECONDS)
        stop.set()
        deadline[0] = time.monotonic() + FINISH_SECONDS
        for thread in threads:
            thread.join(timeout=FINISH_SECONDS + 15)
        assert not any(thread.is_alive() for thread in threads), "a client never finished"
    finally:
        stop.set()
        deadline[0] = 0
        web.stop()

    statuses = Counter(status for status, *_ in log.refused)
    # Every failure was a clean, actionable 503; nothing was a 500, nothing cut the connection.
    assert not log.broken, log.broken[:5]
    assert set(statuses) <= {503}, [(s, b[:500]) for s, _h, b, _t in log.refused if s != 503][:3]
    assert statuses[503] > 0, "no request met the restart: it proves nothing"
    for _status, headers, text, _when in log.refused:
        assert headers.get("retry-after", "").isdigit() and headers["content-type"] == "application/json"
        assert set(json.loads(text)) == {"detail"}
    assert "Traceback" not in web.log(), web.tail()
    assert not log.gave_up, f"{len(log.gave_up)} responses were never stored\n{web.tail()}"
    # The app reconnected: 201s again after the restart.
    assert any(status == 201 and when > restart_ended for _id, status, when in log.stored)

    # Every response the clients were told is stored is in the database, once; nothing else is.
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], connect_timeout=5) as connection:
        rows = connection.execute("SELECT client_id::text FROM surveys_response").fetchall()
    stored_ids = [client_id for (client_id,) in rows]
    confirmed = {client_id for client_id, _status, _when in log.stored}
    assert len(stored_ids) == len(set(stored_ids)), "a client_id is stored twice"
    assert set(stored_ids) == confirmed
    assert len(confirmed) == len(log.stored)  # each id confirmed once (the client then moved on)
    found_on_retry = sum(1 for _id, status, _when in log.stored if status == 200)
    print(
        f"\n{len(stored_ids)} responses stored from {CLIENTS} clients; restart took "
        f"{restart_ended - restart_began:.1f} s; {statuses[503]} answers were 503; "
        f"{found_on_retry} retries found their response stored already (200)"
    )
