"""Celery tasks of the reports: thin (STYLE.md rule 4). They take IDs and call a service.

Retries and the FAILED state after the last retry belong here; what a job does and how
it stays consistent is in `reports.services`.
"""

import logging

from celery import Task, shared_task

from . import services, snapshots

logger = logging.getLogger(__name__)


class ReportJobTask(Task):
    """After its last retry, a report task marks its job failed instead of leaving it queued."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        job_id = kwargs.get("job_id", args[0] if args else None)
        if job_id is None:
            return
        try:
            services.report_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        except Exception:  # the database may be the thing that failed; the sweeper catches up
            logger.exception("Could not mark report job %s failed", job_id)


@shared_task(
    base=ReportJobTask,
    acks_late=True,  # the message stays in Redis until the job is over ...
    reject_on_worker_lost=True,  # ... and goes back to the queue if the worker process dies
    autoretry_for=services.TRANSIENT_ERRORS,
    retry_backoff=5,  # 5 s, 10 s, 20 s, ... with jitter, at most 5 minutes apart
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def generate_report(job_id: int) -> None:
    services.report_generate(job_id=job_id)


@shared_task
def regenerate_current_wave() -> int:
    """Nightly (settings.CELERY_BEAT_SCHEDULE, REPORTS_NIGHTLY_CRON): publishes the snapshots of
    every changed wave first, then asks for the open wave's reports; returns how many new jobs."""
    results = services.report_regenerate_current_wave()
    return sum(1 for _job, reused in results if not reused)


@shared_task
def sweep_stale_jobs() -> int:
    """Every REPORTS_SWEEP_SECONDS: returns how many jobs it touched."""
    result = services.jobs_sweep_stale()
    return len(result.requeued) + len(result.failed) + len(result.resent)


class SnapshotTask(Task):
    """After its last retry, a queued snapshot is marked failed (the nightly run tries again)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        snapshot_id = kwargs.get("snapshot_id", args[0] if args else None)
        if snapshot_id is None:
            return
        try:
            snapshots.snapshot_fail(snapshot_id=snapshot_id, error=f"{type(exc).__name__}: {exc}")
        except Exception:
            logger.exception("Could not mark snapshot %s failed", snapshot_id)


# Like the report task: the message stays in Redis until the snapshot is stored, goes back to
# the queue if the worker dies, and transient errors are retried. Running one twice is safe.
SNAPSHOT_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": services.TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(base=SnapshotTask, **SNAPSHOT_TASK_OPTIONS)
def fill_snapshot(snapshot_id: int) -> None:
    """A snapshot an analyst asked for (POST /api/v1/snapshots/)."""
    snapshots.snapshot_fill(snapshot_id=snapshot_id)


@shared_task(**SNAPSHOT_TASK_OPTIONS)
def make_snapshot(wave_id: int, trigger: str) -> int | None:
    """A snapshot of a wave now (a wave was closed); returns its id."""
    from surveys.models import Wave

    wave = Wave.objects.filter(pk=wave_id).first()
    if wave is None:
        return None
    return snapshots.snapshot_make(wave=wave, trigger=trigger).pk
