"""Responses to the checklist and the survey rounds (waves) they belong to."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from checklist.models import Checklist, District

ANOTHER_WAVE_OPEN = _(
    "The wave “%(wave)s” is open. Only one wave takes responses at a time: close it first "
    "(untick “open for responses” on it), then open this one."
)


class Wave(models.Model):
    """A survey round, e.g. "2020-spring". New online responses go to the open wave."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_open = models.BooleanField(_("open for responses"), default=False)

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        constraints = [
            # A response must know which wave it belongs to without asking the resident.
            models.UniqueConstraint(fields=["is_open"], condition=Q(is_open=True), name="one_open_wave"),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "Wave | None":
        return cls.objects.filter(is_open=True).first()

    def previous(self) -> "Wave | None":
        return Wave.objects.filter(starts_on__lt=self.starts_on).order_by("-starts_on").first()

    def clean(self):
        errors = {}
        if self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("A wave cannot end before it starts.")
        if self.is_open and (open_wave := Wave.objects.filter(is_open=True).exclude(pk=self.pk).first()):
            errors["is_open"] = ANOTHER_WAVE_OPEN % {"wave": open_wave}
        if errors:
            raise ValidationError(errors)


class Response(models.Model):
    """One committed, anonymous answer sheet: online, or paper after double entry.

    Privacy (README "Privacy"): no IP address, user agent, cookie or time finer than the
    day is stored. Answers are one JSON object (item code -> value) so that a report reads
    one row per response, and the scores of METHOD.md §3 are columns beside it.
    """

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        PAPER = "paper", _("Paper")

    checklist = models.ForeignKey(
        Checklist, on_delete=models.PROTECT, related_name="responses", verbose_name=_("checklist")
    )
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses", verbose_name=_("wave"))
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="responses", verbose_name=_("district")
    )
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=2)
    answers = models.JSONField(_("answers"))
    submitted_on = models.DateField(_("submitted on"))
    # Idempotency key from the client (online form or offline app); unrelated to any person.
    # Only online responses have one: a paper response is tied to its sheet (Sheet.response).
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True, editable=False)
    feeling = models.FloatField(_("perceived-safety index"), null=True, blank=True)
    environment = models.FloatField(_("conditions sub-score"), null=True, blank=True)
    police = models.FloatField(_("police sub-score"), null=True, blank=True)
    overall = models.FloatField(_("overall score"), null=True, blank=True)
    sdg_safe = models.BooleanField(_("feels safe after dark (SDG 16.1.4)"), null=True, blank=True)
    is_void = models.BooleanField(_("void"), default=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [
            # The reports read one wave's valid responses, district by district.
            models.Index(fields=["wave", "district"], condition=Q(is_void=False), name="response_wave_district"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.district.code} {self.wave.code}"

    def set_scores(self, scores) -> None:
        self.feeling, self.environment, self.police = scores.feeling, scores.environment, scores.police
        self.overall, self.sdg_safe = scores.overall, scores.sdg_safe


class Assignment(models.Model):
    """Which districts a volunteer or coordinator works in. Analysts and admins see all."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="assignments", verbose_name=_("user"))
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("district")
    )

    class Meta:
        verbose_name = _("district assignment")
        verbose_name_plural = _("district assignments")
        constraints = [models.UniqueConstraint(fields=["user", "district"], name="assignment_unique")]

    def __str__(self):
        return f"{self.user} – {self.district.code}"


# Paper questionnaires live in their own module; importing them here registers them.
from .paper_models import Batch, ImportJob, PaperEntry, Sheet, SheetChange  # noqa: E402, F401
