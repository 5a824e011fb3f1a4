"""Paper questionnaires: printed batches of sheets, the two entries of each sheet, and the
coordinator's changes. Imported by surveys/models.py, so the app label is `surveys`. Import jobs (ImportJob) name
their table themselves (`paper_importjob`), ready for paper to become an app of its own.

Timestamps here record staff work (when a sheet was keyed or edited), never when a
resident answered: the committed Response keeps only the day, like every response.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from checklist.models import Checklist, District
from safetysurvey.jobs import Job

LANGUAGE_CHOICES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]


class Batch(models.Model):
    """A set of numbered sheets printed together for one district, wave and language."""

    class PdfStatus(models.TextChoices):
        PENDING = "pending", _("Waiting to be rendered")
        RENDERING = "rendering", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="batches", verbose_name=_("district"))
    wave = models.ForeignKey("surveys.Wave", on_delete=models.PROTECT, related_name="batches", verbose_name=_("wave"))
    checklist = models.ForeignKey(
        Checklist, on_delete=models.PROTECT, related_name="batches", verbose_name=_("checklist")
    )
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    size = models.PositiveIntegerField(_("number of sheets"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="paper_batches", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The printable PDF is rendered by a task; the page polls these fields (STYLE.md rule 5).
    pdf = models.FileField(_("printable PDF"), upload_to="paper/", blank=True)
    pdf_status = models.CharField(_("PDF"), max_length=10, choices=PdfStatus.choices, default=PdfStatus.PENDING)
    pdf_progress = models.PositiveIntegerField(_("sheets rendered"), default=0)
    pdf_error = models.TextField(_("rendering error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("batch of paper sheets")
        verbose_name_plural = _("batches of paper sheets")

    def __str__(self):
        return _("Batch %(number)s") % {"number": self.pk}

    @property
    def label(self) -> str:
        return f"{self.district.code} · {self.wave.code} · #{self.pk}"


class Sheet(models.Model):
    """One printed questionnaire, identified by its serial (see surveys/serials.py)."""

    class Status(models.TextChoices):
        PRINTED = "printed", _("Printed")
        ENTERED_ONCE = "entered_once", _("Entered once")
        CONFLICT = "conflict", _("In conflict")
        COMMITTED = "committed", _("Committed")
        VOID = "void", _("Void")

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="sheets", verbose_name=_("batch"))
    number = models.PositiveIntegerField(_("number"))
    serial = models.CharField(_("serial"), max_length=60, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PRINTED)
    entry_count = models.PositiveSmallIntegerField(_("entries"), default=0)
    # Set when the second entry is compared with the first (the discordance of METHOD-like
    # data-quality reports): how many items were compared and how many differed.
    items_compared = models.PositiveSmallIntegerField(_("items compared"), null=True, blank=True)
    items_differing = models.PositiveSmallIntegerField(_("items differing"), null=True, blank=True)
    # The sheet's committed response. This link is the only tie between them: a paper response
    # has no client_id, so no key a client sends can name it (issue 9). One response per sheet,
    # and a sheet is committed once (its row is locked while it is keyed or reconciled).
    response = models.OneToOneField(
        "surveys.Response", on_delete=models.PROTECT, null=True, blank=True, related_name="sheet",
        verbose_name=_("response"),
    )
    void_reason = models.TextField(_("reason for voiding"), blank=True)

    class Meta:
        ordering = ["batch", "number"]
        verbose_name = _("paper sheet")
        verbose_name_plural = _("paper sheets")
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="sheet_number_unique_in_batch"),
            models.CheckConstraint(condition=Q(entry_count__lte=2), name="sheet_at_most_two_entries"),
            # A committed sheet has its response; no other status has one, except a voided
            # sheet that had been committed (its response is kept, marked void).
            models.CheckConstraint(
                condition=Q(status="committed", response__isnull=False)
                | Q(status="void")
                | (~Q(status__in=["committed", "void"]) & Q(response__isnull=True)),
                name="sheet_response_matches_status",
            ),
        ]
        indexes = [
            # Progress pages count sheets by status within batches (and so districts).
            models.Index(fields=["batch", "status"], name="sheet_batch_status"),
        ]

    def __str__(self):
        return self.serial


class PaperEntry(models.Model):
    """One keying of a sheet (by hand, through the API or by file import). Two per sheet."""

    class Source(models.TextChoices):
        KEYED = "keyed", _("Keyed")
        IMPORT = "import", _("Imported")

    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="entries", verbose_name=_("paper sheet"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="paper_entries", verbose_name=_("entered by")
    )
    answers = models.JSONField(_("answers as keyed"))
    # Follow-up items answered on paper although their show-if condition is false: kept as
    # keyed and left for the coordinator to settle (docs/paper.md, "Questions that do not apply").
    not_applicable = models.JSONField(_("answered although not applicable"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=6, choices=Source.choices, default=Source.KEYED)
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    # After reconciliation: how many of this entry's items differed from the committed value.
    items_wrong = models.PositiveSmallIntegerField(_("items corrected"), null=True, blank=True)

    class Meta:
        ordering = ["sheet", "created_at", "pk"]
        verbose_name = _("paper entry")
        verbose_name_plural = _("paper entries")
        constraints = [
            # Double data entry means two different people.
            models.UniqueConstraint(fields=["sheet", "entered_by"], name="entry_one_per_person_per_sheet"),
        ]

    def __str__(self):
        return f"{self.sheet.serial} / {self.entered_by}"


class SheetChange(models.Model):
    """The audit trail of a sheet after keying: reconciled items, edits and voiding."""

    class Action(models.TextChoices):
        RECONCILE = "reconcile", _("Reconciled")
        EDIT = "edit", _("Edited")
        VOID = "void", _("Voided")

    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="changes", verbose_name=_("paper sheet"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    item_code = models.CharField(_("item"), max_length=50, blank=True)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["sheet", "changed_at", "pk"]
        verbose_name = _("change to a sheet")
        verbose_name_plural = _("changes to sheets")

    def __str__(self):
        return f"{self.sheet.serial} {self.action} {self.item_code}"


class ImportJob(Job):
    """One uploaded file of keyed sheets for a batch, checked and imported in the background
    (docs/paper.md, "Bulk import"). The upload only stores the file here; a task reads and
    checks it and imports it all or nothing. The page and the API read this row, never the
    task: its state, the rows checked, and the outcome or every problem found."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", pgettext_lazy("import job", "Uploaded")
        CHECKING = "checking", pgettext_lazy("import job", "Checking")
        FAILED = "failed", pgettext_lazy("import job", "Failed")
        COMMITTED = "committed", pgettext_lazy("import job", "Committed")

    WAITING, RUNNING, FAILED = Status.UPLOADED, Status.CHECKING, Status.FAILED
    FINISHED = (Status.FAILED, Status.COMMITTED)
    # Left out of lists and of the sweeper's queries: the file can be megabytes. Let go of
    # once the job is over: it holds residents' answers, which the entries hold from then on.
    HEAVY_FIELDS = ("content",)
    CLEARED_WHEN_FINISHED = {"content": b""}

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("batch"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="paper_import_jobs",
        verbose_name=_("uploaded by"),
    )
    # The language of the uploader's page: the job's messages are written in it.
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # The uploaded file, kept in the row (one transaction with the job, and every worker
    # host reads it without shared storage) until the job is over (CLEARED_WHEN_FINISHED).
    content = models.BinaryField(_("file"), blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    # Of a failed job: every problem of the file, [{"row", "column", "message"}] in sheet
    # order, the first IMPORT_ROW_ERRORS_KEPT of them, and how many there were in all.
    row_errors = models.JSONField(_("problems by row"), default=list, blank=True)
    row_error_count = models.PositiveIntegerField(_("number of problems"), default=0)
    # Of a committed job: {"entries", "first_entries", "committed", "conflicts"}.
    outcome = models.JSONField(_("outcome"), null=True, blank=True)

    class Meta:
        db_table = "paper_importjob"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import of keyed sheets")
        verbose_name_plural = _("imports of keyed sheets")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_total__isnull=True) | Q(progress__lte=models.F("progress_total")),
                name="paper_importjob_progress_within_total",
            ),
        ]
        indexes = [
            # paper_import_jobs_sweep: running jobs by heartbeat, waiting jobs by the time they were queued.
            models.Index(fields=["status", "heartbeat_at"], name="paper_importjob_stale_running"),
            models.Index(fields=["status", "queued_at"], name="paper_importjob_stale_queued"),
            # The import page: the batch's latest jobs.
            models.Index(fields=["batch", "-created_at"], name="paper_importjob_batch_latest"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.filename} ({self.get_status_display()})"
