"""Celery tasks of the paper workflow: thin wrappers that take ids and call a service."""

import logging

from celery import Task, shared_task
from django.conf import settings

from safetysurvey.jobs import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def render_batch_pdf(batch_id: int) -> None:
    """Render a batch's printable PDF. Safe to run twice: a finished PDF is kept."""
    from .paper_services import batch_render_failed, batch_render_pdf

    try:
        batch_render_pdf(batch_id=batch_id)
    except Exception as error:  # rendering errors are deterministic: record them, don't retry
        logger.exception("Rendering the PDF of batch %s failed", batch_id)
        batch_render_failed(batch_id=batch_id, error=error)


class ImportJobTask(Task):
    """After its last retry, an import task marks its job failed instead of leaving it waiting."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        from .paper_import_jobs import paper_import_fail

        job_id = kwargs.get("job_id", args[0] if args else None)
        if job_id is None:
            return
        try:
            paper_import_fail(job_id=job_id, error=type(exc).__name__)
        except Exception:  # the database may be the thing that failed; the sweeper catches up
            logger.exception("Could not mark import job %s failed", job_id)


@shared_task(
    base=ImportJobTask,
    acks_late=True,  # the message stays in Redis until the job is over ...
    reject_on_worker_lost=True,  # ... and goes back to the queue if the worker process dies
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,  # 5 s, 10 s, 20 s, ... with jitter, at most 5 minutes apart
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    # A backstop for what PAPER_IMPORT_MAX_SECONDS cannot interrupt (a prefork worker only);
    # the job fails with the same message.
    soft_time_limit=2 * settings.PAPER_IMPORT_MAX_SECONDS + 60,
)
def check_import(job_id: int) -> None:
    """Read, check and import an uploaded file (surveys.paper_import_jobs)."""
    from .paper_import_jobs import paper_import_check

    paper_import_check(job_id=job_id)


@shared_task
def sweep_stale_import_jobs() -> int:
    """Every REPORTS_SWEEP_SECONDS: returns how many import jobs it touched."""
    from .paper_import_jobs import paper_import_jobs_sweep

    result = paper_import_jobs_sweep()
    return len(result.requeued) + len(result.failed) + len(result.resent)
