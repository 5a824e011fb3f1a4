"""Import jobs: a file of keyed sheets is checked and imported in the background, never in
the web request (docs/paper.md, "Bulk import").

    uploaded --a worker claims it--> checking --every row fine--> committed
                                        |  \\--a problem--> failed (the file's, or every row's)
                                        \\--worker silent > REPORT_STALE_MINUTES--> uploaded again
                                            (failed after REPORT_MAX_ATTEMPTS starts)

The upload stores the file in the job's row and sends the task once the transaction
commits; the task (surveys.tasks.check_import) calls `paper_import_check`, which reads the
file within the limits of `paper_import.ReadLimits`, checks every row, and imports all of
it or nothing through `paper_services.paper_entries_import`. Whatever goes wrong with the
file ends as a failed job with a message in the uploader's language, never as an error.
The generic steps (claim, heartbeat, sweep, send) are safetysurvey.jobs'.
"""

import logging
from dataclasses import asdict

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from checklist.definition import definition_for
from safetysurvey.jobs import (
    TRANSIENT_ERRORS,
    JobLost,
    ProgressWriter,
    SweepResult,
    job_claim,
    job_mark_failed,
    job_release,
    job_send,
    jobs_sweep_stale,
)

from .paper_import import FILE_TOO_LARGE, TOO_SLOW, UnreadableFile, read_table, rows_from_table
from .paper_models import Batch, ImportJob
from .paper_services import (
    PaperImportRejected,
    PaperRejected,
    RowError,
    can_coordinate,
    paper_entries_import,
    works_in,
)

logger = logging.getLogger(__name__)

IMPORT_NOT_YOURS = _("This batch belongs to a district you do not work in.")
IMPORT_JOB_NOT_YOURS = _("This import belongs to a district you do not work in.")
EMPTY_UPLOAD = _("The file is empty.")
IMPORT_GAVE_UP = _(
    "Checking this file was started %(attempts)d times and each time its worker stopped responding. "
    "Nothing was stored. Split the file into smaller ones, or try again later."
)
IMPORT_CRASHED = _(
    "This file could not be checked because of an error on the server (%(error)s). Nothing was stored; "
    "try again later."
)
IMPORT_COMMITTED = _(
    "Imported %(entries)d entries: %(first)d first entries, %(committed)d sheets committed, "
    "%(conflicts)d sent to reconciliation."
)
# A failed job keeps this many of its problems (the page and the API list them) and their number.
IMPORT_ROW_ERRORS_KEPT = 1000


# ---------------------------------------------------------------------------- who may see what


def can_see_import(user, job: ImportJob) -> bool:
    """Coordinators of the batch's district follow its imports (admins everywhere): the same
    people who may import into it. Nobody else, whoever uploaded the file."""
    return can_coordinate(user) and works_in(user, job.batch.district)


# ---------------------------------------------------------------------------- uploading


def paper_import_upload(*, batch: Batch, user, filename: str, content: bytes, language: str) -> ImportJob:
    """Store an uploaded file as a new import job of `batch` and send its task once the
    transaction commits. Nothing is read here: the job does it. Raises PaperRejected
    (forbidden for someone who may not import into the batch; "file" when the file is
    empty or larger than PAPER_IMPORT_MAX_BYTES)."""
    if not can_coordinate(user) or not works_in(user, batch.district):
        raise PaperRejected({"__all__": [str(IMPORT_NOT_YOURS)]}, forbidden=True)
    limit = settings.PAPER_IMPORT_MAX_BYTES
    if len(content) > limit:
        raise PaperRejected({"file": [str(FILE_TOO_LARGE % {"limit": filesizeformat(limit)})]})
    if not content:
        raise PaperRejected({"file": [str(EMPTY_UPLOAD)]})
    codes = {code for code, _name in ImportJob._meta.get_field("language").choices}
    language = (language or "").split("-")[0]
    with transaction.atomic():
        job = ImportJob(
            batch=batch,
            uploaded_by=user,
            language=language if language in codes else settings.LANGUAGE_CODE,
            # Only what a database can store and a page can show.
            filename="".join(char for char in filename if char.isprintable())[:200] or "upload",
            size=len(content),
            content=content,
        )
        job.full_clean()
        job.save()
        _send_on_commit(job.pk)
    return job


def _send_on_commit(job_id: int) -> None:
    transaction.on_commit(lambda: _send(job_id))


def _send(job_id: int) -> None:
    """The task to the workers; without a broker and with REPORTS_RUN_IN_THREAD (`make
    run`), a thread of this process, as report jobs do."""
    from .tasks import check_import

    job_send(ImportJob, job_id, task=check_import, run_in_thread=_run_here if settings.REPORTS_RUN_IN_THREAD else None)


def _run_here(job_id: int) -> None:
    try:
        paper_import_check(job_id=job_id)
    except Exception as error:
        logger.exception("Import job %s failed in its thread", job_id)
        paper_import_fail(job_id=job_id, error=type(error).__name__)


# ---------------------------------------------------------------------------- checking


def _gave_up(job: ImportJob) -> str:
    with translation.override(job.language):
        return str(IMPORT_GAVE_UP % {"attempts": job.attempts})


def paper_import_check(*, job_id: int) -> ImportJob | None:
    """Read, check and import the job's file, all or nothing; the job ends committed (with
    the outcome) or failed (with the file's problem, or every problem by row and column).

    Safe to run twice: a finished job, or one running elsewhere with a live worker, is left
    alone. Transient errors (database or broker unreachable) put the job back in the queue
    and are raised for the task to retry."""
    job = job_claim(
        ImportJob.objects.select_related("batch__checklist", "uploaded_by"),
        job_id,
        stale_minutes=settings.REPORT_STALE_MINUTES,
        max_attempts=settings.REPORT_MAX_ATTEMPTS,
        gave_up=_gave_up,
    )
    if job is None:
        return None
    attempt = job.attempts
    definition = definition_for(job.batch.checklist)
    writer = ProgressWriter(ImportJob, job_id, attempt, interval=settings.REPORT_PROGRESS_SECONDS)
    try:
        with translation.override(job.language):
            try:
                table = read_table(bytes(job.content), progress=lambda done, total=None: writer(
                    max(0, done - 1), None if total is None else max(0, total - 1)
                ))
                rows, errors = rows_from_table(definition, table)
                if errors:
                    raise PaperImportRejected(errors)
                return _commit(job_id, attempt, rows, checked=max(0, len(table) - 1))
            except UnreadableFile as unreadable:
                _failed(job_id, attempt, error=unreadable.message)
            except PaperImportRejected as rejected:
                _failed(job_id, attempt, row_errors=_in_sheet_order(definition, rejected.errors))
            except SoftTimeLimitExceeded:  # the task's backstop (surveys.tasks) for what the limits missed
                seconds = number_format(settings.PAPER_IMPORT_MAX_SECONDS, decimal_pos=0, force_grouping=True)
                _failed(job_id, attempt, error=str(TOO_SLOW % {"seconds": seconds}))
    except JobLost:
        logger.warning("Import job %s was taken over by another worker; stopping attempt %s", job_id, attempt)
    except TRANSIENT_ERRORS:
        job_release(ImportJob, job_id, attempt)
        raise
    except Exception as error:
        logger.exception("Import job %s failed", job_id)
        with translation.override(job.language):
            _failed(job_id, attempt, error=str(IMPORT_CRASHED % {"error": type(error).__name__}))
    return None


def _commit(job_id: int, attempt: int, rows, *, checked: int) -> ImportJob:
    """Import the rows and mark the job committed in one transaction, so that a job is
    committed exactly when its entries are stored (a second run finds it committed)."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .defer(*ImportJob.HEAVY_FIELDS)
            .select_related("batch__checklist", "uploaded_by")
            .filter(pk=job_id, status=ImportJob.Status.CHECKING, attempts=attempt)
            .first()
        )
        if job is None:
            raise JobLost(job_id)
        outcome = paper_entries_import(batch=job.batch, user=job.uploaded_by, rows=rows)
        now = timezone.now()
        job.status = ImportJob.Status.COMMITTED
        job.outcome = asdict(outcome)
        job.progress = job.progress_total = checked
        job.finished_at = job.heartbeat_at = now
        for name, value in ImportJob.CLEARED_WHEN_FINISHED.items():
            setattr(job, name, value)
        job.save(update_fields=["status", "outcome", "progress", "progress_total", "finished_at", "heartbeat_at",
                                *ImportJob.CLEARED_WHEN_FINISHED])
        return job


def _failed(job_id: int, attempt: int, *, error: str = "", row_errors: list[dict] | None = None) -> bool:
    """Mark this attempt's job failed and let go of the file (nothing of it was stored).
    False when the job is no longer this attempt's (another worker took it over)."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .defer(*ImportJob.HEAVY_FIELDS)
            .filter(pk=job_id, status=ImportJob.Status.CHECKING, attempts=attempt)
            .first()
        )
        if job is None:
            logger.warning("Import job %s was taken over by another worker; attempt %s stops", job_id, attempt)
            return False
        row_errors = row_errors or []
        job_mark_failed(
            job,
            error,
            also={"row_errors": row_errors[:IMPORT_ROW_ERRORS_KEPT], "row_error_count": len(row_errors)},
        )
        return True


def _in_sheet_order(definition, errors: list[RowError]) -> list[dict]:
    """The problems by row, and within a row in the order of the questions on the sheet."""
    position = {code: index for index, code in enumerate(definition.numbers, start=1)}
    ordered = sorted(errors, key=lambda error: (error.row, position.get(error.column, 0)))
    return [{"row": error.row, "column": error.column, "message": str(error.message)} for error in ordered]


def paper_import_fail(*, job_id: int, error: str) -> None:
    """Mark a job failed unless it finished (the task's last word after its retries)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().defer(*ImportJob.HEAVY_FIELDS).filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        with translation.override(job.language):
            message = str(IMPORT_CRASHED % {"error": error})
        job_mark_failed(job, message)


def paper_import_jobs_sweep(*, now=None) -> SweepResult:
    """Import jobs whose worker died go back to the queue, or fail after REPORT_MAX_ATTEMPTS
    starts; jobs never sent (broker down) or lost are sent again. Runs from celery beat
    (settings.CELERY_BEAT_SCHEDULE, every REPORTS_SWEEP_SECONDS), like the report sweeper."""
    return jobs_sweep_stale(
        ImportJob,
        stale_minutes=settings.REPORT_STALE_MINUTES,
        max_attempts=settings.REPORT_MAX_ATTEMPTS,
        gave_up=_gave_up,
        send_on_commit=_send_on_commit,
        now=now,
    )
