"""Report jobs: request, generate, sweep, regenerate, download; and the aggregate figures.

The views, the API and the Celery tasks call these functions and nothing else (STYLE.md
rules 1, 2, 4). The content of a report comes from `reports.rendering` and the exports
from `reports.exports`, made from the wave's published figures (`reports.snapshots`,
METHOD.md §4.10); this module only runs them for a job and keeps the job's row true:

    queued --claim--> running --files stored--> done
                        |  \\--error--> failed
                        \\--silent > REPORT_STALE_MINUTES--> queued again (or failed after
                                                            REPORT_MAX_ATTEMPTS starts)

A job is claimed with a row lock and its `attempts` number acts as a fence: a worker that
lost its job (because it was too slow to show signs of life and another worker took over)
notices at its next progress write and stops without touching the job again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from checklist.models import District
from surveys import roles
from surveys.models import Wave

from . import snapshots
from .fingerprint import input_signature, publication_key, scope_fingerprint
from .models import (
    EXPORT_FORMATS,
    MICRODATA_FORMATS,
    REPORT_FORMATS,
    SNAPSHOT_FORMATS,
    DownloadLog,
    Format,
    ReportFile,
    ReportJob,
    Snapshot,
    canonical_formats,
)

logger = logging.getLogger(__name__)

REGION = ReportJob.Scope.REGION.value

NOT_A_REPORTS_USER = _("Reports are for the working group: analysts and coordinators.")
REGION_FOR_ANALYSTS = _("Only analysts can request the report of the whole region.")
DISTRICT_NOT_YOURS = _("You can only see reports of your own districts.")
EXPORTS_FOR_ANALYSTS = _("Only analysts can export microdata and aggregate tables.")
NO_FORMATS = _("Choose at least one format.")
UNKNOWN_FORMAT = _("Unknown format: %(format)s.")
UNKNOWN_LANGUAGE = _("Choose Russian, Kazakh or English.")
DISTRICT_TAKES_NO_RESPONSES = _("Choose a district or city that residents answer for.")
JOB_FAILED = _("The report could not be produced: %(error)s")
JOB_GAVE_UP = _("The report was started %(attempts)d times and each time its worker stopped responding.")
FILE_MISSING = _("This file is no longer stored. Request the report again.")

# Errors worth another try later: the database or the broker was briefly unreachable.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
MIMETYPE_FORMATS = {"text/html": Format.HTML, "application/pdf": Format.PDF}


class ReportRefused(Exception):
    """The request is not valid; `errors` maps field names to messages (like ResponseRejected)."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(errors)


class JobLost(Exception):
    """This worker no longer owns the job (another worker took it over)."""


# ---------------------------------------------------------------------------
# The content: thin, late-bound calls into rendering and exports. They import the
# rendering stack (numpy, pandas, matplotlib, WeasyPrint) only when first used, so the web
# process that only queues jobs does not load it: the input fingerprint of a request comes
# from reports.fingerprint, which imports none of it. Tests replace them with monkeypatch.
# ---------------------------------------------------------------------------


def render_report(*, scope, wave, language, formats, progress=None, snapshot=None):
    from . import rendering

    return rendering.render_report(
        scope=scope, wave=wave, language=language, formats=formats, progress=progress, snapshot=snapshot
    )


def input_fingerprint(*, scope, wave) -> str:
    from . import fingerprint

    return fingerprint.input_fingerprint(scope=scope, wave=wave)


def render_exports(*, scope, wave, language, formats, progress=None, snapshot=None):
    """[(format, RenderedFile)] for the export formats asked for."""
    from . import exports

    return exports.render_exports(
        scope=scope, wave=wave, language=language, formats=formats, progress=progress, snapshot=snapshot
    )


# ---------------------------------------------------------------------------
# Who may see what
# ---------------------------------------------------------------------------


def is_analyst(user) -> bool:
    return user.is_authenticated and (user.is_superuser or roles.has_role(user, roles.ANALYST))


def can_use_reports(user) -> bool:
    """Analysts, coordinators and admins; not volunteers, not residents."""
    return is_analyst(user) or roles.has_role(user, roles.COORDINATOR)


def districts_visible_to(user):
    """The districts whose reports `user` may request and download."""
    if is_analyst(user):
        return District.objects.all()
    if roles.has_role(user, roles.COORDINATOR):
        return roles.assigned_districts(user)
    return District.objects.none()


def can_see_scope(user, district: District | None) -> bool:
    if is_analyst(user):
        return True
    if district is None or not roles.has_role(user, roles.COORDINATOR):
        return False
    return districts_visible_to(user).filter(pk=district.pk).exists()


def jobs_visible_to(user):
    """Report jobs `user` may see: all for analysts, their districts' for coordinators."""
    jobs = ReportJob.objects.select_related("district", "wave", "requested_by")
    if is_analyst(user):
        return jobs
    if roles.has_role(user, roles.COORDINATOR):
        jobs = jobs.filter(district__in=districts_visible_to(user))
        for export in EXPORT_FORMATS:  # exports are the analysts'
            jobs = jobs.exclude(formats__contains=export.value)
        return jobs
    return jobs.none()


def _check_access(user, district: District | None, formats: Iterable[str] = ()) -> None:
    if not can_use_reports(user):
        raise PermissionDenied(NOT_A_REPORTS_USER)
    if district is None and not is_analyst(user):
        raise PermissionDenied(REGION_FOR_ANALYSTS)
    if not can_see_scope(user, district):
        raise PermissionDenied(DISTRICT_NOT_YOURS)
    if any(f in EXPORT_FORMATS for f in formats) and not is_analyst(user):
        raise PermissionDenied(EXPORTS_FOR_ANALYSTS)


# ---------------------------------------------------------------------------
# Requesting
# ---------------------------------------------------------------------------


def _district_of(scope: District | str) -> District | None:
    return None if scope == REGION else scope


def _clean_request(*, district: District | None, language: str, formats: Iterable[str]) -> str:
    errors: dict[str, list[str]] = {}
    formats = list(formats)
    unknown = [f for f in formats if f not in Format.values]
    if unknown:
        errors["formats"] = [str(UNKNOWN_FORMAT % {"format": ", ".join(map(str, unknown))})]
    elif not formats:
        errors["formats"] = [str(NO_FORMATS)]
    if language not in LANGUAGE_CODES:
        errors["language"] = [str(UNKNOWN_LANGUAGE)]
    if district is not None and not district.takes_responses:
        errors["scope"] = [str(DISTRICT_TAKES_NO_RESPONSES)]
    if errors:
        raise ReportRefused(errors)
    return canonical_formats(formats)


def report_request(
    *, user, scope: District | str, wave: Wave, language: str, formats: Iterable[str]
) -> tuple[ReportJob, bool]:
    """Ask for the report (or export) of `scope` ("region" or a District) for `wave`.

    Returns (job, reused). A report or aggregate table shows the wave's published figures
    (METHOD.md §4.10): when the latest snapshot is current, a finished, queued or running
    job with the same publication key (reports.fingerprint.publication_key), language and
    at least these formats is returned and nothing is made again; when the input changed
    since, a job not yet rendered for the same input is, or a new job is queued, which makes
    a snapshot first. Microdata are read live: a job is reused for them only with the same
    input fingerprint. A new job's task is sent once the transaction commits. Raises
    PermissionDenied (analysts: everything; coordinators: reports of their districts; the
    region report and exports are for analysts) or ReportRefused with field errors.
    """
    formats = list(formats)
    district = _district_of(scope)
    _check_access(user, district, formats)
    canonical = _clean_request(district=district, language=language, formats=formats)
    signature = input_signature(wave)
    snapshot, key = _published_for(scope, wave, signature, canonical)
    return _job_for(
        district=district, wave=wave, language=language, formats=canonical,
        fingerprint=scope_fingerprint(scope, signature), requested_by=user, snapshot=snapshot, publication=key,
    )


def _published_for(scope, wave: Wave, signature: str, formats: str) -> tuple[Snapshot | None, str]:
    """The wave's latest snapshot and this scope's publication key when the formats show
    published figures and the snapshot is current; else (None, "")."""
    if not set(formats.split(",")) & set(SNAPSHOT_FORMATS):
        return None, ""
    latest = snapshots.latest_snapshot(wave, with_results=False)
    if not snapshots.is_current(latest, signature):
        return None, ""
    return latest, publication_key(scope=scope, wave=wave, publication=latest.publication)


ACTIVE = (ReportJob.Status.RUNNING, ReportJob.Status.QUEUED)


@transaction.atomic
def _job_for(
    *, district: District | None, wave: Wave, language: str, formats: str, fingerprint: str, requested_by,
    snapshot: Snapshot | None = None, publication: str = "",
) -> tuple[ReportJob, bool]:
    wanted = set(formats.split(","))
    reads_snapshot = bool(wanted & set(SNAPSHOT_FORMATS))
    reads_responses = bool(wanted & set(MICRODATA_FORMATS))
    # A job that also made exports is only handed to someone who may see exports.
    may_export = requested_by is None or is_analyst(requested_by)
    # Same input: a job rendered from the same published figures, or one not rendered yet
    # for the same live input (it renders the snapshot that input gets).
    same = Q(fingerprint=fingerprint)
    if publication:
        same |= Q(publication=publication)
    candidates = (
        ReportJob.objects.filter(
            same,
            language=language,
            status__in=[ReportJob.Status.DONE, *ACTIVE],
            wave=wave,
            district=district,
        )
        .select_related("district", "wave")
        .order_by("-created_at", "-pk")
    )
    for job in candidates:
        made = set(job.format_list)
        if not (wanted <= made and (may_export or not made & set(EXPORT_FORMATS))):
            continue
        if reads_snapshot and not (
            (publication and job.publication == publication)
            or (not job.publication and job.status in ACTIVE and job.fingerprint == fingerprint)
        ):
            continue
        if reads_responses and job.fingerprint != fingerprint:
            continue
        return job, True
    job = ReportJob(
        scope=ReportJob.Scope.REGION if district is None else ReportJob.Scope.DISTRICT,
        district=district,
        wave=wave,
        language=language,
        formats=formats,
        fingerprint=fingerprint,
        requested_by=requested_by,
        snapshot=snapshot,
        publication=publication,
    )
    job.full_clean()
    job.save()
    _enqueue_on_commit(job)
    return job, False


def _enqueue_on_commit(job: ReportJob) -> None:
    job_id, exports = job.pk, job.makes_exports
    transaction.on_commit(lambda: _enqueue(job_id, exports=exports))


def _enqueue(job_id: int, *, exports: bool = False) -> None:
    """Send the job's task: to REPORT_EXPORTS_QUEUE when it makes exports and that is set,
    else where CELERY_TASK_ROUTES sends report tasks. A broker outage must not fail the
    request that queued the job: the job stays queued and the sweeper sends it again
    (docs/reports.md). Without a broker and with REPORTS_RUN_IN_THREAD (development), the
    job runs in a thread of this process."""
    from .tasks import generate_report

    if settings.REPORTS_RUN_IN_THREAD:
        threading.Thread(target=_generate_in_thread, args=(job_id,), name=f"report-job-{job_id}", daemon=True).start()
        return
    try:
        if exports and settings.REPORT_EXPORTS_QUEUE:
            generate_report.apply_async((job_id,), queue=settings.REPORT_EXPORTS_QUEUE)
        else:
            generate_report.delay(job_id)
    except Exception as error:  # kombu raises several unrelated types when Redis is down
        logger.warning(
            "Could not send report job %s to the broker (%s: %s); the sweeper sends it again",
            job_id, type(error).__name__, error,
        )
        # Marked, so the sweeper's next run sends it again without waiting for it to look stale.
        ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.QUEUED).update(unsent=True)


def _generate_in_thread(job_id: int) -> None:
    try:
        report_generate(job_id=job_id)
    except Exception:
        logger.exception("Report job %s failed in its thread", job_id)
        report_fail(job_id=job_id, error="see the server log")
    finally:
        connections.close_all()  # this thread's own connections


def report_regenerate_current_wave() -> list[tuple[ReportJob, bool]]:
    """The nightly run. First the snapshots (reports.snapshots.snapshots_nightly): every wave
    whose input changed since its last snapshot is published again, unit by unit by the rule
    of METHOD.md §4.10. Then the region and every district of the open wave, in each language
    of settings.REPORTS_NIGHTLY_LANGUAGES and with REPORTS_NIGHTLY_FORMATS, from that
    snapshot. A report whose published figures did not change reuses the finished job, so a
    quiet night costs a few queries."""
    snapshots.snapshots_nightly()
    wave = Wave.current()
    if wave is None:
        return []
    formats = canonical_formats(settings.REPORTS_NIGHTLY_FORMATS)
    districts = [d for d in District.objects.prefetch_related("children") if district_takes_responses(d)]
    signature = input_signature(wave)
    results = []
    for district in [None, *districts]:
        scope = district or REGION
        snapshot, key = _published_for(scope, wave, signature, formats)
        for language in settings.REPORTS_NIGHTLY_LANGUAGES:
            results.append(
                _job_for(
                    district=district,
                    wave=wave,
                    language=language,
                    formats=formats,
                    fingerprint=scope_fingerprint(scope, signature),
                    requested_by=None,
                    snapshot=snapshot,
                    publication=key,
                )
            )
    return results


def district_takes_responses(district: District) -> bool:
    # District.takes_responses without a query per district (children are prefetched).
    if district.kind == District.Kind.CITY:
        return not district.children.all()
    return district.kind in (District.Kind.DISTRICT, District.Kind.CITY_DISTRICT)


# ---------------------------------------------------------------------------
# Generating
# ---------------------------------------------------------------------------


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(minutes=settings.REPORT_STALE_MINUTES)


def _in_language(job: ReportJob, message, **params) -> str:
    """A message constant in the job's language (the requester chose it), for its error."""
    with translation.override(job.language):
        return str(message) % params


CLAIM_FIELDS = ("status", "attempts", "progress", "error", "started_at", "heartbeat_at", "finished_at", "worker")


def this_worker() -> str:
    """"host:pid" of this process, recorded on the jobs it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _worker_is_gone(worker: str) -> bool:
    """True when `worker` ran on this host and its process no longer exists (e.g. the
    kernel killed a Celery pool process that ran out of memory; Celery then hands its
    message straight back, long before the heartbeat looks stale)."""
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


def _job_claim(job_id: int) -> ReportJob | None:
    """Mark the job running for this worker; None when there is nothing to do: it is done,
    failed, gone, or running elsewhere with a recent heartbeat and a live worker."""
    with transaction.atomic():
        job = (
            ReportJob.objects.select_for_update(of=("self",))
            .select_related("district", "wave")
            .filter(pk=job_id)
            .first()
        )
        if job is None:
            logger.warning("Report job %s does not exist", job_id)
            return None
        now = timezone.now()
        silent = (job.heartbeat_at or job.started_at or now) < _stale_before(now)
        if job.status == ReportJob.Status.RUNNING and (silent or _worker_is_gone(job.worker)):
            # Its worker died (or hung): a redelivered message takes over, within limits.
            if job.attempts >= settings.REPORT_MAX_ATTEMPTS:
                _mark_failed(job, _in_language(job, JOB_GAVE_UP, attempts=job.attempts), now)
                return None
            logger.warning("Report job %s: taking over from a silent worker (attempt %s)", job_id, job.attempts + 1)
        elif job.status != ReportJob.Status.QUEUED:
            return None
        job.status = ReportJob.Status.RUNNING
        job.attempts += 1
        job.progress = 0
        job.error = ""
        job.started_at = job.heartbeat_at = now
        job.finished_at = None
        job.worker = this_worker()
        job.save(update_fields=[*CLAIM_FIELDS])
        return job


def _mark_failed(job: ReportJob, error: str, now) -> None:
    job.status = ReportJob.Status.FAILED
    job.error = error[:5000]
    job.finished_at = now
    job.save(update_fields=["status", "error", "finished_at"])


class ProgressWriter:
    """The progress callback handed to the renderer: `progress(percent)` with 0–100.

    Writes the job's progress and heartbeat at most every REPORT_PROGRESS_SECONDS (a
    renderer may call it thousands of times), never lowers it, and raises JobLost when
    the job is no longer this worker's.
    """

    def __init__(self, job_id: int, attempt: int, *, clock: Callable[[], float] = time.monotonic):
        self.job_id = job_id
        self.attempt = attempt
        self.clock = clock
        self.interval = settings.REPORT_PROGRESS_SECONDS
        self.percent = 0
        self.written = 0
        self.last_write: float | None = None

    def __call__(self, percent: float, *args, **kwargs) -> None:
        # 100 is written with the files; until then the bar stops just short.
        self.percent = max(self.percent, min(99, max(0, int(percent))))
        now = self.clock()
        if self.last_write is not None and now - self.last_write < self.interval:
            return
        self.write()

    def write(self) -> None:
        self.last_write = self.clock()
        updated = ReportJob.objects.filter(
            pk=self.job_id, status=ReportJob.Status.RUNNING, attempts=self.attempt
        ).update(progress=self.percent, heartbeat_at=timezone.now())
        if not updated:
            raise JobLost(self.job_id)
        self.written = self.percent

    def part(self, start: float, end: float) -> Callable[..., None]:
        """A callback for one part of the job, mapping its 0–100 onto start–end."""

        def callback(percent: float, *args, **kwargs) -> None:
            self(start + (end - start) * max(0.0, min(100.0, float(percent))) / 100.0)

        return callback


@dataclass
class _Produced:
    format: str
    filename: str
    mimetype: str
    content: bytes


PUBLISHING = 20  # the part of a report job's progress bar for the snapshot it may make first


def _published_for_job(job: ReportJob, progress: ProgressWriter) -> Snapshot:
    """The snapshot a job renders: the wave's latest, or a new one when the input changed
    since (METHOD.md §4.10 makes that safe whoever asked). Recorded on the job, with the
    publication key other requests reuse it by."""
    snapshot = snapshots.snapshot_current(wave=job.wave, progress=progress.part(0, PUBLISHING))
    key = publication_key(scope=job.district or REGION, wave=job.wave, publication=snapshot.publication)
    updated = ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.RUNNING, attempts=progress.attempt).update(
        snapshot=snapshot, publication=key
    )
    if not updated:
        raise JobLost(job.pk)
    job.snapshot, job.publication = snapshot, key
    return snapshot


def _same_files(job: ReportJob) -> list[_Produced] | None:
    """The files of a finished job rendered from the same published figures, for the same
    language and formats (a report whose figures did not change is not made again); None
    when there is none or its files are gone."""
    wanted = set(job.format_list)
    for other in (
        ReportJob.objects.filter(publication=job.publication, language=job.language, status=ReportJob.Status.DONE)
        .exclude(pk=job.pk)
        .prefetch_related("files")
        .order_by("-finished_at", "-pk")
    ):
        files = [file for file in other.files.all() if file.format in wanted]
        if {file.format for file in files} != wanted:
            continue
        try:
            return [_Produced(file.format, file.filename, file.mimetype, _read(file)) for file in files]
        except OSError:
            continue
    return None


def _read(file: ReportFile) -> bytes:
    with file.file.open("rb") as handle:
        return handle.read()


def _produce(job: ReportJob, progress: ProgressWriter) -> list[_Produced]:
    scope = job.district or REGION
    report_formats = [f for f in job.format_list if f in REPORT_FORMATS]
    export_formats = [f for f in job.format_list if f in EXPORT_FORMATS]
    snapshot = None
    if job.reads_snapshot:
        snapshot = _published_for_job(job, progress)
        if not job.reads_responses and (same := _same_files(job)) is not None:
            return same
    # Share the rest of the bar by the number of formats of each kind.
    start = float(PUBLISHING) if snapshot is not None else 0.0
    split = start + (100.0 - start) * len(report_formats) / max(1, len(job.format_list))
    produced: list[_Produced] = []
    if report_formats:
        rendered = render_report(
            scope=scope, wave=job.wave, language=job.language, formats=report_formats,
            progress=progress.part(start, split), snapshot=snapshot,
        )
        for file in rendered:
            fmt = MIMETYPE_FORMATS.get(file.mimetype.split(";")[0].strip())
            if fmt is None:
                fmt = Format.PDF if file.filename.lower().endswith(".pdf") else Format.HTML
            produced.append(_Produced(fmt, file.filename, file.mimetype, file.content))
    if export_formats:
        rendered = render_exports(
            scope=scope,
            wave=job.wave,
            language=job.language,
            formats=export_formats,
            progress=progress.part(split, 100),
            snapshot=snapshot,
        )
        for fmt, file in rendered:
            produced.append(_Produced(fmt, file.filename, file.mimetype, file.content))
    return produced


def _job_finish(job_id: int, attempt: int, produced: list[_Produced]) -> ReportJob:
    stored: list[ReportFile] = []
    try:
        with transaction.atomic():
            job = (
                ReportJob.objects.select_for_update()
                .filter(pk=job_id, status=ReportJob.Status.RUNNING, attempts=attempt)
                .first()
            )
            if job is None:
                raise JobLost(job_id)
            job.files.all().delete()
            seen: set[str] = set()
            for item in produced:
                filename = get_valid_filename(item.filename) or f"report.{item.format}"
                if filename in seen:
                    filename = f"{len(seen)}-{filename}"
                seen.add(filename)
                file = ReportFile(job=job, format=item.format, filename=filename, mimetype=item.mimetype,
                                  size=len(item.content))
                file.file.save(filename, ContentFile(item.content), save=False)
                stored.append(file)
                file.full_clean()
                file.save()
            now = timezone.now()
            job.status = ReportJob.Status.DONE
            job.progress = 100
            job.finished_at = job.heartbeat_at = now
            job.save(update_fields=["status", "progress", "finished_at", "heartbeat_at"])
            return job
    except BaseException:
        for file in stored:  # nothing half-stored: the rows rolled back, remove their files too
            file.file.storage.delete(file.file.name)
        raise


def _job_release(job_id: int, attempt: int) -> None:
    """Put a job that hit a transient error back in the queue for the task's retry."""
    try:
        ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.RUNNING, attempts=attempt).update(
            status=ReportJob.Status.QUEUED, queued_at=timezone.now(), progress=0
        )
    except TRANSIENT_ERRORS:
        # The database is still away: the sweeper re-queues the job once it looks stale.
        logger.warning("Could not release report job %s; the sweeper will", job_id, exc_info=True)


def report_generate(*, job_id: int) -> ReportJob | None:
    """Produce the files of a job. Safe to run twice: a done, failed or actively running
    job is left alone. Transient errors (database or broker unreachable) put the job back
    in the queue and are raised for the task to retry; any other error marks it failed
    with a readable message."""
    job = _job_claim(job_id)
    if job is None:
        return None
    attempt = job.attempts
    progress = ProgressWriter(job_id, attempt)
    try:
        produced = _produce(job, progress)
        return _job_finish(job_id, attempt, produced)
    except JobLost:
        logger.warning("Report job %s was taken over by another worker; stopping attempt %s", job_id, attempt)
        return None
    except TRANSIENT_ERRORS:
        _job_release(job_id, attempt)
        raise
    except Exception as error:
        logger.exception("Report job %s failed", job_id)
        detail = str(error) or type(error).__name__
        if isinstance(error, ValidationError):
            detail = "; ".join(error.messages)
        with transaction.atomic():
            failing = ReportJob.objects.select_for_update().filter(pk=job_id, attempts=attempt).first()
            if failing is not None and failing.status == ReportJob.Status.RUNNING:
                _mark_failed(failing, _in_language(failing, JOB_FAILED, error=detail), timezone.now())
        return None


def report_fail(*, job_id: int, error: str) -> None:
    """Mark a job failed unless it finished (the task's last word after its retries)."""
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is not None and job.status in (ReportJob.Status.QUEUED, ReportJob.Status.RUNNING):
            _mark_failed(job, _in_language(job, JOB_FAILED, error=error), timezone.now())


@dataclass
class SweepResult:
    requeued: list[int]
    failed: list[int]
    resent: list[int]


@transaction.atomic
def jobs_sweep_stale(*, now=None) -> SweepResult:
    """Find jobs nobody is working on and give them another chance.

    A running job whose heartbeat is older than REPORT_STALE_MINUTES (its worker was
    killed or hung) goes back to the queue, or fails once it has been started
    REPORT_MAX_ATTEMPTS times. A queued job waiting longer than that (its message was
    lost) or whose task could not be sent at all (the broker was down) is sent again.
    Runs from celery beat
    (settings.CELERY_BEAT_SCHEDULE, every REPORTS_SWEEP_SECONDS).
    """
    now = now or timezone.now()
    before = _stale_before(now)
    result = SweepResult([], [], [])
    running = ReportJob.objects.select_for_update(skip_locked=True).filter(
        status=ReportJob.Status.RUNNING, heartbeat_at__lt=before
    )
    for job in running:
        if job.attempts >= settings.REPORT_MAX_ATTEMPTS:
            _mark_failed(job, _in_language(job, JOB_GAVE_UP, attempts=job.attempts), now)
            result.failed.append(job.pk)
            continue
        job.status = ReportJob.Status.QUEUED
        job.queued_at = now
        job.progress = 0
        job.save(update_fields=["status", "queued_at", "progress"])
        result.requeued.append(job.pk)
        _enqueue_on_commit(job)
    waiting = ReportJob.objects.select_for_update(skip_locked=True).filter(
        Q(queued_at__lt=before) | Q(unsent=True), status=ReportJob.Status.QUEUED
    )
    for job in waiting:
        job.queued_at, job.unsent = now, False
        job.save(update_fields=["queued_at", "unsent"])
        result.resent.append(job.pk)
        _enqueue_on_commit(job)
    if result.requeued or result.failed or result.resent:
        logger.warning(
            "Stale report jobs: re-queued %s, failed %s, sent again %s", result.requeued, result.failed, result.resent
        )
    return result


# ---------------------------------------------------------------------------
# Downloading
# ---------------------------------------------------------------------------


def report_file_download(*, user, file: ReportFile, channel: str = DownloadLog.Channel.WEB):
    """Open a job's file for `user` and record the download. Returns the open file.

    Raises PermissionDenied outside the user's scope and FileNotFoundError (with
    FILE_MISSING) when the stored file is gone; nothing is logged then.
    """
    job = file.job
    _check_access(user, job.district, job.format_list)
    try:
        handle = file.file.open("rb")
    except (FileNotFoundError, OSError):
        raise FileNotFoundError(str(FILE_MISSING)) from None
    DownloadLog.objects.create(
        user=user,
        username=user.get_username(),
        file=file,
        job=job,
        filename=file.filename,
        scope=job.scope_code,
        wave=job.wave.code,
        channel=channel,
    )
    return handle


# ---------------------------------------------------------------------------
# Aggregate figures (GET /api/v1/aggregates/)
# ---------------------------------------------------------------------------

AGGREGATE_BLOCK_KEYS = ("n_eff", "deff", "index", "environment", "police", "overall", "sdg", "change")


def _slim_unit(unit: dict) -> dict:
    out = {"code": unit["code"], "n": unit["n"], "suppressed": unit["suppressed"]}
    for block in ("weighted", "unweighted"):
        if block in unit:
            out[block] = {k: unit[block].get(k) for k in AGGREGATE_BLOCK_KEYS}
    return out


def aggregates_for(*, user, wave: Wave, district: District | None = None) -> dict:
    """The published figures `user` may see (the wave's latest snapshot, METHOD.md §4.10;
    never computed live): with `district`, that district only; without, every visible
    district, and the region for analysts. Raises PermissionDenied, or
    snapshots.NotPublished when the wave has no snapshot yet."""
    if not can_use_reports(user):
        raise PermissionDenied(NOT_A_REPORTS_USER)
    if district is not None and not can_see_scope(user, district):
        raise PermissionDenied(DISTRICT_NOT_YOURS)
    snapshot = snapshots.published(wave)
    document = snapshot.results
    units = document["units"]
    if district is not None:
        visible = [district]
    else:
        visible = list(districts_visible_to(user).filter(code__in=[code for code in units if code != REGION]))
    names = {d.code: str(d) for d in visible}
    return {
        "wave": document["wave"],
        "previous_wave": document["previous_wave"],
        "min_cell": document["min_cell"],
        "fingerprint": snapshot.fingerprint,
        "snapshot": {"id": snapshot.pk, "created_at": snapshot.created_at},
        "weighting": "raking to age and sex margins (METHOD.md §4.1)",
        "region": {**_slim_unit(units[REGION]["figures"]), "name": str(ReportJob.Scope.REGION.label)}
        if district is None and is_analyst(user)
        else None,
        "districts": [
            {**_slim_unit(units[code]["figures"]), "name": names[code]}
            for code in sorted(names)
            if code in units
        ],
    }
