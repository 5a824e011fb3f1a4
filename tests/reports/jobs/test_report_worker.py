"""Real Celery workers against Redis and PostgreSQL: a report end to end, and a worker killed
mid-report whose job another worker finishes.

Each test sends to its own queue under its own Redis key prefix (CELERY_BROKER_KEY_PREFIX),
so parallel runs sharing a Redis database do not see each other's messages. Workers are
subprocesses started here and killed by their pid at the end; every wait is bounded.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import kombu.pools
import pytest
from django.utils import timezone
from django.utils.text import capfirst

from reports import services
from reports.models import ReportFile, ReportJob
from safetysurvey.celery import app as celery_app
from tests.conftest import REDIS_URL
from tests.ops.processes import this_runs_database_url
from tests.reports.seeding import seed_responses

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
WORKER_BOOT_SECONDS = 30
JOB_SECONDS = 60


@dataclass
class Broker:
    url: str
    prefix: str
    queue: str


def reset_connections():
    """Make Celery read the broker settings and task_routes again. It caches them: the
    router on first use, and producer pools even in eager mode (apply_async acquires a
    producer before running eagerly), so earlier tests leave pools for no broker at all."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)


@pytest.fixture
def broker(monkeypatch):
    """This process sends report tasks to Redis (not eagerly) on a queue of its own."""
    import redis

    tag = uuid.uuid4().hex[:10]
    broker = Broker(REDIS_URL, f"ss-test-{tag}:", f"reports-{tag}")
    options = {**celery_app.conf.broker_transport_options, "global_keyprefix": broker.prefix}
    for key, value in {
        "broker_url": broker.url,
        "task_always_eager": False,
        "task_routes": {"reports.tasks.*": {"queue": broker.queue}},
        "broker_transport_options": options,
    }.items():
        monkeypatch.setitem(celery_app.conf, key, value)
    reset_connections()
    yield broker
    monkeypatch.undo()
    reset_connections()
    client = redis.Redis.from_url(broker.url)
    keys = list(client.scan_iter(f"{broker.prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def workers(broker, transactional_db, tmp_path, reports_storage):
    """start(name, pool="solo", **env) -> a running `celery worker` subprocess (one process,
    or a prefork parent with one pool process); all are killed afterwards."""
    started: list[subprocess.Popen] = []

    def start(name: str, pool: str = "solo", queues: str | None = None, **env) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("wb")
        environment = {
            **os.environ,
            "DATABASE_URL": this_runs_database_url(),
            "CELERY_BROKER_URL": broker.url,
            "CELERY_BROKER_KEY_PREFIX": broker.prefix,
            "CELERY_REPORTS_QUEUE": broker.queue,
            "REPORTS_ROOT": str(reports_storage),
            "DATABASE_CONN_MAX_AGE": "0",
            **{key: str(value) for key, value in env.items()},
        }
        command = [
            sys.executable, "-m", "celery", "-A", "safetysurvey", "worker", "--pool", pool, "--concurrency", "1",
            "--queues", queues or broker.queue, "--hostname", f"{name}-{broker.queue}@%h",
            "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO",
        ]
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        process.log_path = tmp_path / f"{name}.log"
        started.append(process)
        return process

    yield start
    for process in started:
        # A prefork parent stopped by SIGTERM takes its pool process with it (warm shutdown
        # is cut short by the SIGKILL after the wait); a solo worker is one process.
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def logs(*processes) -> str:
    return "\n".join(f"--- {p.log_path.name}\n{p.log_path.read_text(errors='replace')[-4000:]}" for p in processes)


def wait_for(condition, *, timeout: float, what: str, processes=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for process in processes:
            if process.poll() is not None and process.returncode != -signal.SIGKILL:
                pytest.fail(f"a worker exited with {process.returncode} while waiting for {what}\n{logs(process)}")
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{logs(*processes)}")


def job_row(job_id: int) -> ReportJob:
    return ReportJob.objects.select_related("district", "wave").get(pk=job_id)


def finished(job_id: int) -> ReportJob | None:
    job = job_row(job_id)
    if job.status == ReportJob.Status.FAILED:
        pytest.fail(f"the job failed: {job.error}")
    return job if job.status == ReportJob.Status.DONE else None


@pytest.fixture
def seeded(survey_ready, definition):
    """Responses in every district, so that the region report has a page for each."""
    for number, (code, district) in enumerate(sorted(survey_ready["districts"].items())):
        if district.takes_responses:
            seed_responses(definition=definition, checklist=survey_ready["checklist"], wave=survey_ready["wave"],
                           district=district, count=12 if code in ("KRG-KZB", "KRG-TEM") else 4,
                           safety=0.3 + number / 30, seed=number)
    return survey_ready


def test_a_worker_produces_a_district_report_end_to_end(workers, seeded, analyst, district_a):
    worker = workers("w1")
    job, reused = services.report_request(
        user=analyst, scope=district_a, wave=seeded["wave"], language="ru", formats=["html", "pdf"]
    )
    assert not reused  # its task went to Redis when the request committed
    job = wait_for(lambda: finished(job.pk), timeout=JOB_SECONDS, what="the report", processes=[worker])
    assert (job.progress, job.attempts, job.error) == (100, 1, "")
    files = {f.format: f for f in ReportFile.objects.filter(job=job)}
    assert set(files) == {"html", "pdf"}
    assert files["pdf"].file.read(5) == b"%PDF-"
    # The district is named as a title (capitalised, issue 11 item 14).
    assert capfirst(district_a.name_ru) in files["html"].file.read().decode()
    assert all(f.size == f.file.size > 0 for f in files.values())


def test_an_export_job_is_made_by_a_worker_of_the_exports_queue(workers, seeded, analyst, broker, settings):
    # The worker consumes only the exports queue: a job sent anywhere else would never finish.
    settings.REPORT_EXPORTS_QUEUE = exports = f"exports-{broker.queue}"
    worker = workers("exports", queues=exports)
    job, _ = services.report_request(
        user=analyst, scope="region", wave=seeded["wave"], language="ru", formats=["tables_csv"]
    )
    job = wait_for(lambda: finished(job.pk), timeout=WORKER_BOOT_SECONDS + JOB_SECONDS, what="the export",
                   processes=[worker])
    assert list(ReportFile.objects.filter(job=job).values_list("format", flat=True)) == ["tables_csv"]


def test_a_job_whose_worker_is_killed_mid_report_is_finished_by_another_worker(workers, seeded, analyst):
    stale_minutes = 0.05  # 3 s: the second worker treats a job silent that long as abandoned
    visibility_timeout = 2  # s: Redis hands an unacknowledged message to another worker after this
    first = workers("w1")
    job, _ = services.report_request(
        user=analyst, scope="region", wave=seeded["wave"], language="kk", formats=["html", "pdf"]
    )
    running = wait_for(
        lambda: (row := job_row(job.pk)).status == "running" and row.progress > 0 and row,
        timeout=WORKER_BOOT_SECONDS + JOB_SECONDS / 2, what="the job to be under way", processes=[first],
    )
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = job_row(job.pk)
    assert killed_at.status == "running", "the report finished before the worker could be killed"
    assert killed_at.attempts == 1 and not ReportFile.objects.filter(job=job).exists()

    # Without a second worker the job would stay "running" for ever. Wait until its message
    # is past the visibility timeout and its heartbeat is stale, then start one.
    stale_after = max(
        killed_at.heartbeat_at.timestamp() + stale_minutes * 60, running.started_at.timestamp() + visibility_timeout
    )
    time.sleep(max(0.0, stale_after + 0.5 - timezone.now().timestamp()))
    second = workers("w2", CELERY_VISIBILITY_TIMEOUT=visibility_timeout, REPORT_STALE_MINUTES=stale_minutes)
    done = wait_for(lambda: finished(job.pk), timeout=WORKER_BOOT_SECONDS + JOB_SECONDS, what="the second worker",
                    processes=[second])
    assert (done.attempts, done.progress) == (2, 100)
    assert {f.format for f in ReportFile.objects.filter(job=job)} == {"html", "pdf"}
    assert "taking over from a silent worker" in second.log_path.read_text()


def test_a_pool_process_killed_mid_report_is_replaced_and_the_job_finished_by_its_successor(
    workers, seeded, analyst, district_a
):
    worker = workers("w1", pool="prefork")
    job, _ = services.report_request(
        user=analyst, scope=district_a, wave=seeded["wave"], language="ru", formats=["html", "pdf"]
    )
    running = wait_for(
        lambda: (row := job_row(job.pk)).status == "running" and row.worker and row,
        timeout=WORKER_BOOT_SECONDS + JOB_SECONDS / 2, what="the job to be under way", processes=[worker],
    )
    pool_process = int(running.worker.rpartition(":")[2])
    assert pool_process != worker.pid
    os.kill(pool_process, signal.SIGKILL)  # as the kernel's OOM killer would
    # reject_on_worker_lost puts the message straight back; the new pool process sees the
    # old one is gone and takes the job over without waiting for the heartbeat to go stale.
    done = wait_for(lambda: finished(job.pk), timeout=JOB_SECONDS, what="the new pool process", processes=[worker])
    assert done.attempts == 2 and done.worker != running.worker
    assert worker.poll() is None  # the worker itself lived on
    assert "taking over from a silent worker" in worker.log_path.read_text()
