"""Submissions never depend on Redis: with the cache and the broker down, residents and
volunteers still submit, report requests are accepted and stay queued, and the queued jobs
are sent again and finish when Redis returns.

One private redis-server is both the broker (CELERY_BROKER_URL, db 0) and the cache
(CACHE_URL, db 1), as in a small deployment. The app runs in gunicorn with the production
settings against this run's PostgreSQL test database: the settings module, the Redis cache
backend, the rate limiter, kombu's producer pool and the Celery app are then the objects
production has, made once per process, which an in-process test client with overridden
settings would not give (Celery and the cache keep their connections from the first use).
Redis is killed with SIGKILL, then started again on the same port, empty; a real Celery
worker and celery beat (sweeping every second) then do what production's would.
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reports.models import ReportFile, ReportJob
from surveys.models import Response
from surveys.paper_models import Batch, PaperEntry
from tests.conftest import PASSWORD

from .helpers import production_env
from .processes import (
    Browser,
    Process,
    RedisServer,
    celery,
    free_port,
    gunicorn,
    hidden_value,
    http_get,
    post_json,
    this_runs_database_url,
    wait_until,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

API = "/api/v1/responses/"
FORM = "/survey/KRG-KZB/questions/"
JOB_SECONDS = 60


@dataclass
class Stack:
    redis: RedisServer
    env: dict[str, str]
    base: str
    web: Process
    log_dir: Path
    started: list[Process] = field(default_factory=list)

    def celery(self, name: str, *args: str, **env: str) -> Process:
        process = celery(name, *args, env=self.env | env, log_dir=self.log_dir)
        self.started.append(process)
        return process


@pytest.fixture
def stack(transactional_db, collected_static, tmp_path):
    """A private Redis, and gunicorn with production settings using it as cache and broker."""
    redis = RedisServer(tmp_path).start()
    env = production_env(
        tmp_path,
        HTTPS="0",  # plain HTTP on the loopback; a proxy terminates TLS in production
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=this_runs_database_url(),
        CACHE_URL=redis.url(1),
        CELERY_BROKER_URL=redis.url(0),
        CELERY_REPORTS_QUEUE="reports",
        STATIC_ROOT=str(collected_static),
        MEDIA_ROOT=str(tmp_path / "media"),
        REPORTS_ROOT=str(tmp_path / "reports"),
        WEB_CONCURRENCY="1",  # one process: its warnings can be counted
    )
    stack = Stack(redis=redis, env=env, base="", web=None, log_dir=tmp_path)
    try:
        port = free_port()
        stack.web = gunicorn(env=env, log_dir=tmp_path, port=port)
        stack.started.append(stack.web)
        stack.base = f"http://127.0.0.1:{port}"
        yield stack
    finally:
        for process in reversed(stack.started):
            process.stop()
        redis.stop()


def readiness(base: str, timeout: float = 3) -> tuple[int | None, dict]:
    status, text = http_get(base + "/readyz", timeout=timeout)
    return status, (json.loads(text)["checks"] if text.startswith("{") else {})


def api_body(answers: dict, client_id: str) -> dict:
    return {"district": "KRG-KZB", "language": "ru", "answers": answers, "client_id": client_id}


def typed(answers: dict) -> dict[str, str]:
    """Answers as form fields (the resident's form, the volunteer's keying)."""
    return {code: " ".join(map(str, v)) if isinstance(v, list) else str(v) for code, v in answers.items()}


def test_residents_and_volunteers_submit_while_redis_is_down_and_reports_queue_again_when_it_returns(
    stack, survey_ready, definition, valid_answers, sheet_answers, paper_batch, volunteer_a, coordinator, analyst,
    district_a,
):
    base, redis = stack.base, stack.redis

    # Redis up: ready, and the rate limiter counts in this Redis.
    assert readiness(base) == (200, {"database": "ok", "cache": "ok", "broker": "ok"})
    assert post_json(base, API, api_body(valid_answers, str(uuid.uuid4()))).status == 201
    assert list(redis.client(1).scan_iter("*ratelimit*")), "the cache is not this Redis"

    redis.kill()

    # Liveness is untouched; readiness names what is down.
    assert http_get(base + "/healthz")[0] == 200
    status, checks = readiness(base)
    assert status == 503
    assert checks["database"] == "ok"
    assert checks["cache"].startswith("unavailable") and checks["broker"].startswith("unavailable")

    # A resident answers the HTML survey (one-time token, CSRF): thanks, stored once.
    resident = Browser(base)
    page = resident.get(FORM)
    assert page.status == 200, page.text[-3000:]
    token = hidden_value(page.text, "client_id")
    form = typed(valid_answers) | {"client_id": token, "version": hidden_value(page.text, "version")}
    sent = resident.post(FORM, form)
    assert (sent.status, sent.location) == (302, "/survey/thanks/"), sent.text[-3000:]
    assert resident.get("/survey/thanks/").status == 200
    assert Response.objects.filter(client_id=token, channel=Response.Channel.ONLINE).count() == 1

    # The API: 201 with the scores, and a retry with the same client_id finds it (200).
    client_id = str(uuid.uuid4())
    stored = post_json(base, API, api_body(valid_answers, client_id))
    assert stored.status == 201, stored.text
    assert stored.json()["client_id"] == client_id and stored.json()["scores"]["feeling"] is not None
    assert post_json(base, API, api_body(valid_answers, client_id)).status == 200
    assert Response.objects.filter(client_id=client_id).count() == 1

    # A volunteer logs in (sessions and the lockout live in PostgreSQL) and keys a sheet.
    volunteer = Browser(base)
    assert volunteer.login("volunteer_a", PASSWORD).status == 302
    sheet = paper_batch.sheets.order_by("number").first()
    assert volunteer.get(f"/volunteer/enter/{sheet.serial}/").status == 200
    keyed = volunteer.post(f"/volunteer/enter/{sheet.serial}/", typed(sheet_answers))
    assert (keyed.status, keyed.location) == (302, "/volunteer/enter/"), keyed.text[-3000:]
    assert PaperEntry.objects.filter(sheet=sheet, entered_by=volunteer_a).count() == 1

    # A coordinator numbers a new batch: stored; its PDF could not be queued, and says so.
    coordinating = Browser(base)
    assert coordinating.login("coordinator", PASSWORD).status == 302
    assert coordinating.get("/volunteer/batches/new/").status == 200
    new_batch = coordinating.post(
        "/volunteer/batches/new/",
        {"district": district_a.pk, "wave": survey_ready["wave"].pk, "language": "ru", "size": "2"},
    )
    assert new_batch.status == 302, new_batch.text[-3000:]
    batch = Batch.objects.exclude(pk=paper_batch.pk).get()
    assert batch.sheets.count() == 2 and batch.pdf_status == Batch.PdfStatus.FAILED
    batch_page = coordinating.get(f"/volunteer/batches/{batch.pk}/")
    assert batch_page.status == 200 and f"/volunteer/batches/{batch.pk}/render/" in batch_page.text

    # An analyst requests a report: accepted, its job waits in the queue.
    working_group = Browser(base)
    assert working_group.login("analyst", PASSWORD).status == 302
    assert working_group.get("/reports/").status == 200
    requested = working_group.post(
        "/reports/",
        {"kind": "report", "scope": district_a.code, "wave": survey_ready["wave"].code, "language": "ru",
         "formats": "html"},
    )
    assert requested.status == 302, requested.text[-3000:]
    job = ReportJob.objects.get()
    assert requested.location == f"/reports/jobs/{job.pk}/"
    assert working_group.get(requested.location).status == 200
    assert job.status == ReportJob.Status.QUEUED

    outage_log = stack.web.log()
    assert "Traceback" not in outage_log, outage_log[-6000:]
    # Each degraded service is reported once per process, not once per request.
    assert len(re.findall(r"WARNING safetysurvey.outages .*cache unavailable", outage_log)) == 1, outage_log[-6000:]
    assert f"Could not send report job {job.pk}" in outage_log

    # Redis comes back, empty, on the same port. The web process reconnects by itself.
    redis.start()
    wait_until(lambda: readiness(base)[0] == 200, timeout=10, what="/readyz to recover", processes=[stack.web])
    # The coordinator asks for the PDF again: this time its task reaches the default queue
    # (which the `-Q celery` workers of production serve; this test starts none).
    assert coordinating.post(f"/volunteer/batches/{batch.pk}/render/", {}).status == 302
    assert redis.client(0).llen("celery") == 1
    assert Batch.objects.get(pk=batch.pk).pdf_status == Batch.PdfStatus.PENDING
    # A reports worker, and beat sweeping every second; a job queued 3 s without news is sent again.
    worker = stack.celery(
        "worker", "worker", "--pool", "solo", "--queues", "reports", "--without-mingle", "--without-gossip",
        "--without-heartbeat", "--loglevel", "INFO", REPORT_STALE_MINUTES="0.05",
    )
    beat = stack.celery(
        "beat", "beat", "--loglevel", "INFO", "--schedule", str(stack.log_dir / "celerybeat-schedule"),
        REPORTS_SWEEP_SECONDS="1",
    )

    # Meanwhile submissions count against the rate limit in Redis again; the recovery is logged.
    assert post_json(base, API, api_body(valid_answers, str(uuid.uuid4()))).status == 201
    assert list(redis.client(1).scan_iter("*ratelimit*"))
    assert "cache reachable again" in stack.web.log(), stack.web.tail()
    assert Response.objects.count() == 4

    def job_done():
        row = ReportJob.objects.get(pk=job.pk)
        if row.status == ReportJob.Status.FAILED:
            pytest.fail(f"the report job failed: {row.error}\n{worker.tail()}")
        return row.status == ReportJob.Status.DONE and row

    done = wait_until(job_done, timeout=JOB_SECONDS, what="the queued job to be done", processes=[worker, beat],
                      interval=0.3)
    assert (done.attempts, done.progress) == (1, 100)
    assert ReportFile.objects.filter(job=job, format="html").exists()
    assert re.search(rf"sent again \[{job.pk}\]", worker.log()), worker.tail()


def test_a_redis_that_stops_answering_delays_requests_by_seconds_and_never_hangs_them(
    stack, survey_ready, valid_answers, analyst, district_a
):
    base, redis = stack.base, stack.redis
    working_group = Browser(base, timeout=20)
    assert working_group.login("analyst", PASSWORD).status == 302
    assert post_json(base, API, api_body(valid_answers, str(uuid.uuid4()))).status == 201  # a pooled connection
    redis.freeze()
    try:
        # Without socket timeouts a call would wait until TCP gives up (minutes), and
        # gunicorn would kill the worker after GUNICORN_TIMEOUT (30 s) first: a 502 at the proxy.
        resident = Browser(base, timeout=15)
        page = resident.get(FORM)
        form = typed(valid_answers) | {"client_id": hidden_value(page.text, "client_id"),
                                       "version": hidden_value(page.text, "version")}
        sent = resident.post(FORM, form)
        assert (sent.status, sent.location) == (302, "/survey/thanks/"), sent.text[-3000:]
        stored = post_json(base, API, api_body(valid_answers, str(uuid.uuid4())), timeout=15)
        assert stored.status == 201, stored.text
        requested = working_group.post(
            "/reports/",
            {"kind": "report", "scope": district_a.code, "wave": survey_ready["wave"].code, "language": "ru",
             "formats": "html"},
        )
        assert requested.status == 302, requested.text[-3000:]
        assert ReportJob.objects.get().status == ReportJob.Status.QUEUED
        status, checks = readiness(base, timeout=15)  # bounded too: each probe times out
        assert status == 503 and checks["cache"].startswith("unavailable")
    finally:
        redis.thaw()
    assert Response.objects.count() == 3
    assert "Traceback" not in stack.web.log(), stack.web.tail()
