"""Published figures (snapshots), report jobs, the files they produce, and the log of who
downloaded which file.

A snapshot holds a wave's published figures as one document (METHOD.md §4.10,
docs/reports.md "Publication"): every report, aggregate table and the aggregates API read
it, never the live responses. A job keeps its whole state in its row (STYLE.md rule 5): the
page and the API poll it, never the Celery task. Files live in the private "reports"
storage (settings.STORAGES) under a random directory name and are only ever served by a
view that checks permission and writes a DownloadLog row.
"""

import secrets

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from checklist.models import District
from surveys.models import Wave


class Format(models.TextChoices):
    """What a job can produce. The first two are the report; the rest are analysts' exports."""

    HTML = "html", _("Report (HTML)")
    PDF = "pdf", _("Report (PDF)")
    MICRODATA_CSV = "microdata_csv", _("Microdata (CSV)")
    MICRODATA_XLSX = "microdata_xlsx", _("Microdata (Excel)")
    MICRODATA_SAV = "microdata_sav", _("Microdata (SPSS .sav)")
    TABLES_CSV = "tables_csv", _("Aggregate tables (CSV)")
    TABLES_XLSX = "tables_xlsx", _("Aggregate tables (Excel)")


REPORT_FORMATS = (Format.HTML, Format.PDF)
EXPORT_FORMATS = tuple(f for f in Format if f not in REPORT_FORMATS)
MICRODATA_FORMATS = (Format.MICRODATA_CSV, Format.MICRODATA_XLSX, Format.MICRODATA_SAV)
# What shows published figures (METHOD.md §4.10): made from a snapshot.
SNAPSHOT_FORMATS = tuple(f for f in Format if f not in MICRODATA_FORMATS)


def canonical_formats(formats) -> str:
    """The formats as stored: distinct, in the order of `Format`, comma-separated."""
    wanted = {str(f) for f in formats}
    return ",".join(f.value for f in Format if f.value in wanted)


def _reports_storage():
    return storages["reports"]


def _report_file_path(instance: "ReportFile", filename: str) -> str:
    # The random directory makes the path unguessable even if the storage were exposed.
    return f"{instance.job.wave.code}/{secrets.token_urlsafe(24)}/{filename}"


class Snapshot(models.Model):
    """The published figures of one wave, as of one run of `reports.snapshots.snapshot_make`.

    `results` is the document every reader gets (docs/reports.md, "Publication"): the
    top-level parts of the wave's figures and, per unit (the region and each district: a
    "cell" of METHOD.md §4.10 is a wave × unit), its figures, trend and answer distributions,
    rounded to what is displayed, with its publication record (the snapshot the unit was
    computed in, how many responses it rested on, the highest response and sheet-change ids
    it had seen). A unit whose input changed by fewer than REPORT_MIN_CELL responses since its
    last publication is carried forward from the previous snapshot unchanged.

    A snapshot an analyst asks for is created queued and filled by its task; the others are
    stored done at once. Readers take the wave's latest done snapshot.
    """

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly run")
        WAVE_CLOSED = "wave_closed", _("Wave closed")
        ANALYST = "analyst", _("Analyst's request")
        REPORT = "report", _("Report request")
        DEMO = "demo", _("Demo data")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DONE = "done", _("Published")
        FAILED = "failed", _("Failed")

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="snapshots", verbose_name=_("wave"))
    trigger = models.CharField(_("made for"), max_length=12, choices=Trigger.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("requested by"), help_text=_("Empty unless an analyst asked for it."),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    created_at = models.DateTimeField(_("published at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Provenance (reports/fingerprint.py): the responses, districts and settings it was computed
    # from, and the code that computed it.
    fingerprint = models.CharField(_("input fingerprint"), max_length=64, blank=True)
    settings_used = models.JSONField(_("settings used"), default=dict, blank=True)
    code_version = models.CharField(_("code version"), max_length=100, blank=True)
    # A hash of `results`: two snapshots that publish the same figures have the same one, so a
    # report rendered from one is reused for the other (reports.services, "Reuse").
    publication = models.CharField(_("publication"), max_length=64, blank=True)
    republished = models.JSONField(
        _("units computed anew"), default=list, blank=True,
        help_text=_("The others were carried forward unchanged from their last publication."),
    )
    results = models.JSONField(_("published figures"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("published figures (snapshot)")
        verbose_name_plural = _("published figures (snapshots)")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(results__isnull=False, created_at__isnull=False),
                name="snapshot_done_has_results",
            ),
        ]
        indexes = [
            # Every reader: "the latest published snapshot of this wave".
            models.Index(fields=["wave", "status", "-created_at"], name="snapshot_latest"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.wave.code} ({self.get_status_display()})"

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]


class ReportJob(models.Model):
    """One request for a report (or export) of a scope and wave, and its progress."""

    class Scope(models.TextChoices):
        REGION = "region", _("Whole region")
        DISTRICT = "district", _("District")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.REGION)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="report_jobs",
        verbose_name=_("district"),
    )
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="report_jobs", verbose_name=_("wave"))
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    formats = models.CharField(_("formats"), max_length=200, help_text=_("Comma-separated format codes."))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="report_jobs",
        verbose_name=_("requested by"), help_text=_("Empty for the nightly regeneration."),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    worker = models.CharField(
        _("worker"), max_length=200, blank=True, help_text=_("Host and process id of the worker running it.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    unsent = models.BooleanField(
        _("not sent to the workers"), default=False,
        help_text=_("The task queue could not be reached; the sweeper sends it again on its next run."),
    )
    fingerprint = models.CharField(_("input fingerprint"), max_length=64)
    # What the files were rendered from (METHOD.md §4.10): the snapshot, and the key of what it
    # publishes for this scope (reports.fingerprint.publication_key). Jobs are reused by it.
    snapshot = models.ForeignKey(
        Snapshot, on_delete=models.SET_NULL, null=True, blank=True, related_name="report_jobs",
        verbose_name=_("published figures"),
    )
    publication = models.CharField(
        _("publication key"), max_length=64, blank=True,
        help_text=_("Empty until the job knows the snapshot it renders."),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="region", district__isnull=True) | Q(scope="district", district__isnull=False),
                name="reportjob_scope_matches_district",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="reportjob_progress_at_most_100"),
        ]
        indexes = [
            # report_request: "a finished or running job with this fingerprint and language?"
            models.Index(fields=["fingerprint", "language", "status"], name="reportjob_reuse"),
            # ... and "one rendered from the same published figures?"
            models.Index(fields=["publication", "language", "status"], name="reportjob_reuse_published"),
            # jobs_sweep_stale: running jobs by heartbeat, queued jobs by the time they were queued.
            models.Index(fields=["status", "heartbeat_at"], name="reportjob_stale_running"),
            models.Index(fields=["status", "queued_at"], name="reportjob_stale_queued"),
            # The /reports/ page: finished reports of the districts a user sees, newest first.
            models.Index(fields=["status", "district", "-finished_at"], name="reportjob_finished_list"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.scope_code} {self.wave.code} {self.language} ({self.get_status_display()})"

    @property
    def scope_code(self) -> str:
        return self.district.code if self.district_id else self.Scope.REGION.value

    @property
    def scope_name(self) -> str:
        """The scope as a heading or a table cell shows it: capitalised ("Район имени Казыбек би";
        district names are stored as they read inside a sentence)."""
        return capfirst(str(self.district)) if self.district_id else str(self.Scope.REGION.label)

    @property
    def format_list(self) -> list[str]:
        return [f for f in self.formats.split(",") if f]

    @property
    def makes_exports(self) -> bool:
        """It makes an export (microdata, aggregate tables): such jobs may have their own queue."""
        return any(f in EXPORT_FORMATS for f in self.format_list)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]

    @property
    def reads_snapshot(self) -> bool:
        """Its files show published figures (reports, aggregate tables), not the microdata."""
        return any(f in SNAPSHOT_FORMATS for f in self.format_list)

    @property
    def reads_responses(self) -> bool:
        """It exports microdata, read live (analysts see microdata anyway)."""
        return any(f in MICRODATA_FORMATS for f in self.format_list)


class ReportFile(models.Model):
    """One file a job produced (the PDF, the HTML, an export)."""

    job = models.ForeignKey(ReportJob, on_delete=models.CASCADE, related_name="files", verbose_name=_("job"))
    format = models.CharField(_("format"), max_length=20, choices=Format.choices)
    filename = models.CharField(_("file name"), max_length=200)
    mimetype = models.CharField(_("media type"), max_length=100)
    file = models.FileField(_("file"), storage=_reports_storage, upload_to=_report_file_path, max_length=300)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("stored at"), default=timezone.now)

    class Meta:
        ordering = ["job", "format", "filename"]
        verbose_name = _("report file")
        verbose_name_plural = _("report files")
        constraints = [models.UniqueConstraint(fields=["job", "filename"], name="reportfile_unique_name")]

    def __str__(self):
        return self.filename


@receiver(post_delete, sender=ReportFile)
def _delete_stored_file(sender, instance: ReportFile, **kwargs):
    # A row deleted (directly or with its job) takes its file with it.
    if instance.file:
        instance.file.delete(save=False)


class DownloadLog(models.Model):
    """Who downloaded which report file, when (issue 4: "every download is recorded").

    The file name and scope are copied so the record survives the file's deletion. Nothing
    about the request (address, browser) is kept.
    """

    class Channel(models.TextChoices):
        WEB = "web", _("Web page")
        API = "api", _("API")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="report_downloads",
        verbose_name=_("user"),
    )
    username = models.CharField(_("user name"), max_length=150)
    file = models.ForeignKey(
        ReportFile, on_delete=models.SET_NULL, null=True, related_name="downloads", verbose_name=_("file")
    )
    job = models.ForeignKey(
        ReportJob, on_delete=models.SET_NULL, null=True, related_name="downloads", verbose_name=_("job")
    )
    filename = models.CharField(_("file name"), max_length=200)
    scope = models.CharField(_("scope"), max_length=20)
    wave = models.CharField(_("wave"), max_length=30)
    channel = models.CharField(_("channel"), max_length=3, choices=Channel.choices, default=Channel.WEB)
    downloaded_at = models.DateTimeField(_("downloaded at"), default=timezone.now)

    class Meta:
        ordering = ["-downloaded_at", "-pk"]
        verbose_name = _("download")
        verbose_name_plural = _("download log")
        indexes = [
            # The admin's log, newest first.
            models.Index(fields=["-downloaded_at"], name="downloadlog_newest"),
            # "What did this person download?" (admin filter by user).
            models.Index(fields=["user", "-downloaded_at"], name="downloadlog_by_user"),
        ]

    def __str__(self):
        return f"{self.username}: {self.filename} ({self.downloaded_at:%Y-%m-%d %H:%M})"
