"""The questionnaire definition: Checklist(version) > Section > Item > Option, and districts.

Every user-facing text exists in Russian, Kazakh and English as three fields
(`text_ru`, `text_kk`, `text_en`); `translated(obj, "text")` picks the active
language. A published checklist is immutable: edits go to a new draft version.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

LANGUAGE_CODES = ("ru", "kk", "en")

PUBLISHED_IS_IMMUTABLE = _("A published checklist cannot be changed; make a new version instead.")


def translated(obj, field: str, language: str | None = None) -> str:
    """The text of `field` in `language` (default: the active one), falling back to Russian."""
    language = (language or get_language() or "ru")[:2]
    if language not in LANGUAGE_CODES:
        language = "ru"
    return getattr(obj, f"{field}_{language}") or getattr(obj, f"{field}_ru")


def translated_fields(name: str, verbose: str, blank: bool = False, text: bool = False, **kwargs):
    """Three fields, one per language, for a translated text."""
    field_class = models.TextField if text else models.CharField
    if not text:
        kwargs.setdefault("max_length", 300)
    return {
        # format_lazy keeps the verbose name lazy: an f-string would translate it at import time,
        # so the migrations would change with the language active then.
        f"{name}_{code}": field_class(format_lazy("{} ({})", verbose, code), blank=blank or code != "ru", **kwargs)
        for code in LANGUAGE_CODES
    }


class Checklist(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Layout(models.TextChoices):
        # How the online form shows the checklist to a resident with JavaScript (without it,
        # always one page): one part per screen with Back and Next, or all parts at once.
        SECTIONS = "sections", _("One part per screen")
        ONE_PAGE = "one_page", _("All questions on one page")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    layout = models.CharField(_("layout of the online form"), max_length=10, choices=Layout.choices,
                              default=Layout.SECTIONS)
    locals().update(translated_fields("title", _("title")))
    locals().update(translated_fields("consent", _("consent text"), text=True))
    locals().update(translated_fields("thanks", _("thank-you text"), text=True))

    class Meta:
        ordering = ["-version"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")

    def __str__(self):
        return f"v{self.version} {translated(self, 'title')}"

    def save(self, *args, **kwargs):
        if self.pk and Checklist.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists():
            raise ValidationError(PUBLISHED_IS_IMMUTABLE)
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @classmethod
    def current(cls) -> "Checklist | None":
        """The newest published version: the one residents answer."""
        return cls.objects.filter(status=cls.Status.PUBLISHED).order_by("-version").first()

    def publish(self):
        Checklist.objects.filter(pk=self.pk).update(status=self.Status.PUBLISHED, published_at=timezone.now())
        self.refresh_from_db(fields=["status", "published_at"])


class DraftOnly(models.Model):
    """Sections, items and options change only while their checklist is a draft."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._checklist_is_published():
            raise ValidationError(PUBLISHED_IS_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._checklist_is_published():
            raise ValidationError(PUBLISHED_IS_IMMUTABLE)
        return super().delete(*args, **kwargs)

    def _checklist_is_published(self) -> bool:
        raise NotImplementedError


class Section(DraftOnly):
    checklist = models.ForeignKey(
        Checklist, on_delete=models.CASCADE, related_name="sections", verbose_name=_("checklist")
    )
    code = models.CharField(_("code"), max_length=20)
    order = models.PositiveIntegerField(_("order"), default=0)
    locals().update(translated_fields("title", _("title")))
    locals().update(translated_fields("intro", _("introduction"), blank=True, text=True))

    class Meta:
        ordering = ["checklist", "order"]
        constraints = [models.UniqueConstraint(fields=["checklist", "code"], name="section_code_unique")]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return f"{self.code}. {translated(self, 'title')}"

    def _checklist_is_published(self) -> bool:
        return Checklist.objects.filter(pk=self.checklist_id, status=Checklist.Status.PUBLISHED).exists()


class Item(DraftOnly):
    """One question. `code` is stable across versions: reports and exports key on it."""

    class Kind(models.TextChoices):
        LIKERT = "likert", _("Ordered scale")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        YES_NO = "yes_no", _("Yes / no")
        NUMBER = "number", _("Number")
        TEXT = "text", _("Short text")
        PLACE = "place", _("Place or bus route")

    class Subscore(models.TextChoices):
        NONE = "", _("Not scored")
        FEELING = "feeling", _("Feeling of safety")
        ENVIRONMENT = "environment", _("Conditions in the area")
        POLICE = "police", _("Police and community")

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items", verbose_name=_("section"))
    code = models.SlugField(_("code"), max_length=50)
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=False)
    reverse = models.BooleanField(_("reverse-coded"), default=False)
    subscore = models.CharField(_("sub-score"), max_length=12, choices=Subscore.choices, blank=True)
    sdg = models.BooleanField(_("SDG 16.1.4 indicator"), default=False)
    substitutes = models.SlugField(
        _("stands in for"),
        max_length=50,
        blank=True,
        help_text=_("Code of the item whose missing answer this one replaces in scoring."),
    )
    show_if_item = models.SlugField(_("show only if item"), max_length=50, blank=True)
    show_if_values = models.JSONField(_("has one of the values"), default=list, blank=True)
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    locals().update(translated_fields("text", _("question"), text=True))
    locals().update(translated_fields("help", _("help text"), blank=True, text=True))

    class Meta:
        ordering = ["section__order", "order"]
        constraints = [
            # One code per item within a version; the section FK alone can't say it.
            models.UniqueConstraint(fields=["section", "code"], name="item_code_unique_in_section"),
        ]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.code

    def _checklist_is_published(self) -> bool:
        return Checklist.objects.filter(sections__pk=self.section_id, status=Checklist.Status.PUBLISHED).exists()


class Option(DraftOnly):
    """An answer option. `value` is what is stored and keyed on paper; for scales it is the
    scale point (1 = least favourable before reverse-coding, METHOD.md §3.1)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="options", verbose_name=_("question"))
    value = models.IntegerField(_("value"))
    order = models.PositiveIntegerField(_("order"), default=0)
    missing = models.BooleanField(
        _("counts as missing"), default=False, help_text=_("For example “don't know / prefer not to say”.")
    )
    locals().update(translated_fields("label", _("label")))

    class Meta:
        ordering = ["item", "order"]
        constraints = [models.UniqueConstraint(fields=["item", "value"], name="option_value_unique")]
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")

    def __str__(self):
        return f"{self.value} {translated(self, 'label')}"

    def _checklist_is_published(self) -> bool:
        return Checklist.objects.filter(
            sections__items__pk=self.item_id, status=Checklist.Status.PUBLISHED
        ).exists()


class District(models.Model):
    """A place residents live in: region > city or district > city district."""

    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        CITY_DISTRICT = "city_district", _("City district")

    code = models.SlugField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("part of")
    )
    locals().update(translated_fields("name", _("name")))
    adult_population = models.PositiveIntegerField(_("adult population"), null=True, blank=True)
    margins = models.JSONField(
        _("population margins"),
        default=dict,
        blank=True,
        help_text=_('Shares of adults: {"age_group": {"1": 0.22, ...}, "sex": {"1": 0.54, "2": 0.46}}'),
    )
    tile_row = models.PositiveSmallIntegerField(_("tile map row"), null=True, blank=True)
    tile_col = models.PositiveSmallIntegerField(_("tile map column"), null=True, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self):
        return translated(self, "name")

    @property
    def name(self) -> str:
        return translated(self, "name")

    @property
    def takes_responses(self) -> bool:
        """Residents answer for the smallest units: those with no children."""
        return self.kind in (self.Kind.DISTRICT, self.Kind.CITY_DISTRICT) or (
            self.kind == self.Kind.CITY and not self.children.exists()
        )

    def clean(self):
        for dimension, shares in (self.margins or {}).items():
            total = sum(float(share) for share in shares.values())
            if abs(total - 1) > 0.01:
                raise ValidationError({"margins": _("The %(dim)s shares must add up to 1.") % {"dim": dimension}})
