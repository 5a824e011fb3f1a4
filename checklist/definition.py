"""A checklist version as plain, immutable data: what scoring and answer validation read.

Built once per published version from the database (`definition_for`), or straight
from a parsed data file (`definition_from_data`), so the pure code never touches the ORM.
"""

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.utils.translation import get_language

LANGUAGES = ("ru", "kk", "en")
# Each language named in itself, as the language buttons show it: a resident finds theirs
# whatever language the page is in.
LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}


def pick(texts: dict[str, str], language: str | None = None) -> str:
    language = (language or get_language() or "ru")[:2]
    return texts.get(language) or texts.get("ru") or ""


@dataclass(frozen=True)
class OptionDef:
    value: int
    label: dict[str, str]
    missing: bool = False

    def text(self, language: str | None = None) -> str:
        return pick(self.label, language)


@dataclass(frozen=True)
class ItemDef:
    code: str
    kind: str
    section: str
    text: dict[str, str]
    help: dict[str, str] = field(default_factory=dict)
    options: tuple[OptionDef, ...] = ()
    required: bool = False
    reverse: bool = False
    subscore: str = ""
    sdg: bool = False
    substitutes: str = ""
    show_if_item: str = ""
    show_if_values: tuple = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None

    @property
    def has_options(self) -> bool:
        return self.kind in ("likert", "single", "multiple", "yes_no")

    @property
    def scale_points(self) -> int:
        """k of METHOD.md §3.1: the options that are points of the scale."""
        return sum(1 for option in self.options if not option.missing)

    # cached_property writes to the instance __dict__, which a frozen dataclass allows.
    @cached_property
    def _options_by_value(self) -> dict:
        return {option.value: option for option in self.options}

    def option(self, value) -> OptionDef | None:
        """The option with this value (3, 3.0 and True == 1 match as == would), else None."""
        try:
            return self._options_by_value.get(value)
        except TypeError:  # an unhashable answer (a list or dict) is no option's value
            return None

    def question(self, language: str | None = None) -> str:
        return pick(self.text, language)


@dataclass(frozen=True)
class SectionDef:
    code: str
    title: dict[str, str]
    intro: dict[str, str]
    items: tuple[ItemDef, ...]


@dataclass(frozen=True)
class ChecklistDef:
    version: int
    title: dict[str, str]
    sections: tuple[SectionDef, ...]
    consent: dict[str, str] = field(default_factory=dict)
    thanks: dict[str, str] = field(default_factory=dict)
    layout: str = "sections"  # Checklist.Layout: "sections" (one part per screen) or "one_page"

    # cached_property writes to the instance __dict__, which a frozen dataclass allows.
    @cached_property
    def items(self) -> tuple[ItemDef, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @cached_property
    def by_code(self) -> dict[str, ItemDef]:
        return {item.code: item for item in self.items}

    @cached_property
    def _subscore_items(self) -> dict[str, tuple[ItemDef, ...]]:
        grouped: dict[str, list[ItemDef]] = {}
        for item in self.items:
            if item.subscore:
                grouped.setdefault(item.subscore, []).append(item)
        return {name: tuple(items) for name, items in grouped.items()}

    def subscore_items(self, subscore: str) -> tuple[ItemDef, ...]:
        return self._subscore_items.get(subscore, ())

    @cached_property
    def numbers(self) -> dict[str, str]:
        """The number shown before each question, the same on the online form, the printed
        sheet, the keying screen, reconciliation and the exports: questions are numbered 1, 2,
        3 … in order, and a follow-up takes the number of the question it depends on and a
        letter (12a, 12b), so "question 17" means one item in every channel."""
        numbers: dict[str, str] = {}
        follow_ups: dict[str, int] = {}
        counter = 0
        for item in self.items:
            parent = numbers.get(item.show_if_item) if item.show_if_item else None
            if parent:
                follow_ups[parent] = follow_ups.get(parent, 0) + 1
                numbers[item.code] = f"{parent}{'abcdefghijklmnopqrstuvwxyz'[(follow_ups[parent] - 1) % 26]}"
            else:
                counter += 1
                numbers[item.code] = str(counter)
        return numbers

    @property
    def question_count(self) -> int:
        """How many numbered questions there are (follow-ups are not counted apart)."""
        return sum(1 for item in self.items if not item.show_if_item)


def _texts(obj, name: str) -> dict[str, str]:
    return {code: getattr(obj, f"{name}_{code}") for code in LANGUAGES if getattr(obj, f"{name}_{code}")}


def build_definition(checklist) -> ChecklistDef:
    """Read a Checklist row with its sections, items and options (three queries)."""
    from .models import Item, Option, Section

    sections = list(Section.objects.filter(checklist=checklist).order_by("order"))
    items = list(Item.objects.filter(section__checklist=checklist).order_by("section__order", "order"))
    options: dict[int, list] = {}
    for option in Option.objects.filter(item__section__checklist=checklist).order_by("order"):
        options.setdefault(option.item_id, []).append(
            OptionDef(value=option.value, label=_texts(option, "label"), missing=option.missing)
        )
    items_by_section: dict[int, list] = {}
    for item in items:
        items_by_section.setdefault(item.section_id, []).append(
            ItemDef(
                code=item.code,
                kind=item.kind,
                section=next(s.code for s in sections if s.pk == item.section_id),
                text=_texts(item, "text"),
                help=_texts(item, "help"),
                options=tuple(options.get(item.pk, ())),
                required=item.required,
                reverse=item.reverse,
                subscore=item.subscore,
                sdg=item.sdg,
                substitutes=item.substitutes,
                show_if_item=item.show_if_item,
                show_if_values=tuple(item.show_if_values or ()),
                min_value=item.min_value,
                max_value=item.max_value,
                max_length=item.max_length,
            )
        )
    return ChecklistDef(
        version=checklist.version,
        title=_texts(checklist, "title"),
        consent=_texts(checklist, "consent"),
        thanks=_texts(checklist, "thanks"),
        layout=checklist.layout,
        sections=tuple(
            SectionDef(
                code=section.code,
                title=_texts(section, "title"),
                intro=_texts(section, "intro"),
                items=tuple(items_by_section.get(section.pk, ())),
            )
            for section in sections
        ),
    )


@lru_cache(maxsize=16)
def _published_definition(checklist_id: int, version: int) -> ChecklistDef:
    from .models import Checklist

    return build_definition(Checklist.objects.get(pk=checklist_id))


def definition_for(checklist) -> ChecklistDef:
    """The definition of a checklist; published versions are immutable, so they are cached."""
    if checklist.is_published:
        return _published_definition(checklist.pk, checklist.version)
    return build_definition(checklist)


def clear_cache():
    _published_definition.cache_clear()
