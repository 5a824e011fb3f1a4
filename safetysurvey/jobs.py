"""Background jobs that keep their whole state in a row (STYLE.md rule 5): what every kind
of job shares, so that the page and the API only ever read that row, never the task.

    waiting --claim--> running --work done--> finished (each kind names its own end)
                         |  \\--error--> failed
                         \\--silent longer than the stale window--> waiting again (or failed
                                                                   after too many starts)

`Job` is the abstract model (status, progress, error, times, attempts, the worker running
it); the functions below claim a job for this worker, write its progress (each write is a
heartbeat, and the `attempts` number is a fence: a worker that lost its job notices at its
next write), sweep jobs whose worker died, and send a job's task (or run it in a thread of
the web process when there is no broker, as `make run` does).

Import jobs of paper sheets (surveys.paper_models.ImportJob) are built on it. Report jobs
(reports.models.ReportJob) have the same fields and steps written out in reports.services;
they are to move onto this module when the kinds of job are unified.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import InterfaceError, OperationalError, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Errors worth another try later: the database or the broker was briefly unreachable.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class JobLost(Exception):
    """This worker no longer owns the job (another worker took it over)."""


class Job(models.Model):
    """The fields every background job has. A concrete job redefines `status` with its own
    choices and names its states in WAITING, RUNNING, FAILED and FINISHED."""

    # Redefined by each kind of job with its choices and default.
    status = models.CharField(_("status"), max_length=12)
    progress = models.PositiveIntegerField(_("progress"), default=0, help_text=_("Units of work done."))
    progress_total = models.PositiveIntegerField(
        _("progress total"), null=True, blank=True, help_text=_("Units of work in all; empty while unknown.")
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    worker = models.CharField(
        _("worker"), max_length=200, blank=True, help_text=_("Host and process id of the worker running it.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    unsent = models.BooleanField(
        _("not sent to the workers"),
        default=False,
        help_text=_("The task queue could not be reached; the sweeper sends it again on its next run."),
    )

    # The states of a kind of job (values of its `status`), set by the subclass.
    WAITING = ""
    RUNNING = ""
    FAILED = ""
    FINISHED: tuple[str, ...] = ()
    # Fields left out of the sweeper's queries (large inputs), and the values they take once
    # the job is over, however it ends (an input nobody needs any more is let go).
    HEAVY_FIELDS: tuple[str, ...] = ()
    CLEARED_WHEN_FINISHED: dict = {}

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        """Progress as 0-100: 100 only once finished, 0 while the total is unknown."""
        if self.is_finished:
            return 100
        if not self.progress_total:
            return 0
        return min(99, self.progress * 100 // self.progress_total)


# ---------------------------------------------------------------------------- workers


def this_worker() -> str:
    """ "host:pid" of this process, recorded on the jobs it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_is_gone(worker: str) -> bool:
    """True when `worker` ran on this host and its process no longer exists (the kernel
    killed a Celery pool process, say; Celery then hands its message straight back, long
    before the heartbeat looks stale)."""
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def stale_before(now: datetime, stale_minutes: float) -> datetime:
    return now - timedelta(minutes=stale_minutes)


CLAIM_FIELDS = ("status", "attempts", "progress", "error", "started_at", "heartbeat_at", "finished_at", "worker")


def job_claim(
    queryset: models.QuerySet, job_id: int, *, stale_minutes: float, max_attempts: int, gave_up: Callable[[Job], str]
) -> Job | None:
    """Mark the job running for this worker and count the attempt; None when there is
    nothing to do: it is finished, failed, gone, or running elsewhere with a recent
    heartbeat and a live worker. A job whose worker went silent `max_attempts` times is
    failed with `gave_up(job)` instead."""
    model = queryset.model
    with transaction.atomic():
        job = queryset.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None:
            logger.warning("%s %s does not exist", model.__name__, job_id)
            return None
        now = timezone.now()
        silent = (job.heartbeat_at or job.started_at or now) < stale_before(now, stale_minutes)
        if job.status == model.RUNNING and (silent or worker_is_gone(job.worker)):
            if job.attempts >= max_attempts:
                job_mark_failed(job, gave_up(job), now)
                return None
            logger.warning("%s %s: taking over from a silent worker (attempt %s)", model.__name__, job_id,
                           job.attempts + 1)
        elif job.status != model.WAITING:
            return None
        job.status = model.RUNNING
        job.attempts += 1
        job.progress = 0
        job.error = ""
        job.started_at = job.heartbeat_at = now
        job.finished_at = None
        job.worker = this_worker()
        job.save(update_fields=list(CLAIM_FIELDS))
        return job


def job_mark_failed(job: Job, error: str, now: datetime | None = None, *, also: dict | None = None) -> None:
    """Record the failure on a job the caller holds (locked); `also` sets more fields."""
    job.status = job.FAILED
    job.error = str(error)[:5000]
    job.finished_at = now or timezone.now()
    also = {**job.CLEARED_WHEN_FINISHED, **(also or {})}
    for name, value in also.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "error", "finished_at", *also])


def job_release(model: type[Job], job_id: int, attempt: int) -> None:
    """Put a job that hit a transient error back in the queue for the task's retry."""
    try:
        model.objects.filter(pk=job_id, status=model.RUNNING, attempts=attempt).update(
            status=model.WAITING, queued_at=timezone.now(), progress=0
        )
    except TRANSIENT_ERRORS:
        # The database is still away: the sweeper re-queues the job once it looks stale.
        logger.warning("Could not release %s %s; the sweeper will", model.__name__, job_id, exc_info=True)


class ProgressWriter:
    """`progress(done, total=None)`: writes the job's progress and heartbeat at most every
    `interval` seconds (callers may call it for every row), never lowers it, and raises
    JobLost when the job is no longer this worker's."""

    def __init__(
        self, model: type[Job], job_id: int, attempt: int, *, interval: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.model = model
        self.job_id = job_id
        self.attempt = attempt
        self.interval = interval
        self.clock = clock
        self.done = 0
        self.total: int | None = None
        self.last_write: float | None = None

    def __call__(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done = max(self.done, done)
        if self.total is not None:
            self.done = min(self.done, self.total)
        if self.last_write is not None and self.clock() - self.last_write < self.interval:
            return
        self.write()

    def write(self) -> None:
        self.last_write = self.clock()
        updated = self.model.objects.filter(
            pk=self.job_id, status=self.model.RUNNING, attempts=self.attempt
        ).update(progress=self.done, progress_total=self.total, heartbeat_at=timezone.now())
        if not updated:
            raise JobLost(self.job_id)


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)


def jobs_sweep_stale(
    model: type[Job],
    *,
    stale_minutes: float,
    max_attempts: int,
    gave_up: Callable[[Job], str],
    send_on_commit: Callable[[int], None],
    now: datetime | None = None,
) -> SweepResult:
    """Give jobs nobody is working on another chance: a running job whose heartbeat is older
    than the stale window goes back to the queue (or fails after `max_attempts` starts); a
    waiting job that nobody picked up for that long, or whose task could not be sent at all,
    is sent again."""
    now = now or timezone.now()
    before = stale_before(now, stale_minutes)
    result = SweepResult()
    with transaction.atomic():
        running = model.objects.select_for_update(skip_locked=True).filter(status=model.RUNNING,
                                                                           heartbeat_at__lt=before)
        for job in running.defer(*model.HEAVY_FIELDS):
            if job.attempts >= max_attempts:
                job_mark_failed(job, gave_up(job), now)
                result.failed.append(job.pk)
                continue
            job.status, job.queued_at, job.progress = model.WAITING, now, 0
            job.save(update_fields=["status", "queued_at", "progress"])
            result.requeued.append(job.pk)
            send_on_commit(job.pk)
        waiting = model.objects.select_for_update(skip_locked=True).filter(
            models.Q(queued_at__lt=before) | models.Q(unsent=True), status=model.WAITING
        )
        for job in waiting.defer(*model.HEAVY_FIELDS):
            job.queued_at, job.unsent = now, False
            job.save(update_fields=["queued_at", "unsent"])
            result.resent.append(job.pk)
            send_on_commit(job.pk)
    if result.requeued or result.failed or result.resent:
        logger.warning(
            "Stale %s rows: re-queued %s, failed %s, sent again %s",
            model.__name__, result.requeued, result.failed, result.resent,
        )
    return result


# ---------------------------------------------------------------------------- sending


def job_send(model: type[Job], job_id: int, *, task, run_in_thread: Callable[[int], None] | None = None) -> None:
    """Send the job's Celery task. A broker outage must not fail the request that made the
    job: the job is marked unsent and the sweeper sends it again. With `run_in_thread`
    (development without a broker, `make run`) the job runs in a thread of this process
    instead, so the request returns at once and the page shows the progress."""
    if run_in_thread is not None:
        threading.Thread(
            target=_run_in_thread, args=(run_in_thread, job_id), name=f"{model.__name__}-{job_id}", daemon=True
        ).start()
        return
    try:
        task.delay(job_id)
    except Exception as error:  # kombu raises several unrelated types when Redis is down
        logger.warning(
            "Could not send %s %s to the broker (%s: %s); the sweeper sends it again",
            model.__name__, job_id, type(error).__name__, error,
        )
        model.objects.filter(pk=job_id, status=model.WAITING).update(unsent=True)


def _run_in_thread(run: Callable[[int], None], job_id: int) -> None:
    try:
        run(job_id)
    except Exception:
        logger.exception("Job %s failed in its thread", job_id)
    finally:
        connections.close_all()  # this thread's own connections
