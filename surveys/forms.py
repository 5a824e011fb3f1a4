"""The resident survey form: POST data -> answers, and the checklist laid out for templates.

The checklist is never hard-coded here: questions, options and show-if rules come from
the definition of the published version. Validation itself is `checklist.answers.clean_answers`
(through `response_submit`), the same rules every channel obeys; this module only turns
form fields into typed answers and keeps what the resident typed for re-display.
"""

import math
import uuid
from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from checklist.answers import is_shown
from checklist.definition import ChecklistDef, ItemDef, SectionDef, pick
from checklist.models import District, translated

HONEYPOT_FIELD = "homepage"
CLIENT_ID_FIELD = "client_id"
VERSION_FIELD = "version"
OPTION_KINDS = ("likert", "single", "yes_no", "multiple")


@dataclass
class Choice:
    id: str
    value: str
    label: str
    checked: bool
    missing: bool


@dataclass
class Question:
    item: ItemDef
    number: str
    text: str
    help: str
    condition: str  # "answer only if ..." shown when JavaScript can't hide the question
    choices: list[Choice] = field(default_factory=list)
    value: str = ""  # typed text for number, text and place items
    errors: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.item.code

    @property
    def input_type(self) -> str:
        # Numbers are typed into a text box with a numeric keyboard (inputmode), not
        # type=number, which drops what it can't parse and changes values on scroll.
        return "checkbox" if self.item.kind == "multiple" else "text" if not self.item.has_options else "radio"

    @property
    def multiline(self) -> bool:
        """Free text with room for more than a line gets a text area."""
        return self.item.kind == "text" and (self.item.max_length is None or self.item.max_length > 80)

    @property
    def first_input_id(self) -> str:
        return self.choices[0].id if self.choices else f"q-{self.code}"

    @property
    def described_by(self) -> str:
        """ids of the condition, hint and error texts that describe this question's inputs."""
        ids = []
        if self.condition:
            ids.append(f"condition-{self.code}")
        if self.help:
            ids.append(f"hint-{self.code}")
        if self.errors:
            ids.append(f"error-{self.code}")
        return " ".join(ids)

    @property
    def show_if_values(self) -> str:
        return " ".join(str(value) for value in self.item.show_if_values)


@dataclass
class Part:
    section: SectionDef
    number: int
    title: str
    intro: str
    questions: list[Question]


def _parse_number(text: str):
    """A typed number as int or float; anything else stays text so validation names the problem."""
    compact = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        return int(compact)
    except ValueError:
        pass
    try:
        number = float(compact)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def _parse_choice(text: str):
    try:
        return int(text)
    except ValueError:
        return text


class SurveyForm:
    """One resident's answer sheet, bound to POST data or blank.

    `answers` holds typed values of the shown questions only: a follow-up whose condition
    is false (visible to a resident without JavaScript, labelled as conditional) is dropped
    before validation, since the resident was told to skip it.
    """

    def __init__(self, definition: ChecklistDef, data=None):
        self.definition = definition
        self.is_bound = data is not None
        self.raw: dict[str, list[str]] = {}
        self.answers: dict = {}
        self.errors: dict[str, list[str]] = {}
        self.client_id = uuid.uuid4()
        self.version_changed = False
        self.honeypot_filled = False
        if data is not None:
            self._bind(data)

    def _bind(self, data) -> None:
        self.honeypot_filled = bool(data.get(HONEYPOT_FIELD, "").strip())
        try:
            self.client_id = uuid.UUID(data.get(CLIENT_ID_FIELD, ""))
        except ValueError:
            # A missing or mangled token: this submission still counts once.
            self.client_id = uuid.uuid4()
        self.version_changed = data.get(VERSION_FIELD, "") != str(self.definition.version)
        typed: dict = {}
        for item in self.definition.items:
            raw = [value for value in data.getlist(item.code) if value.strip()]
            if not raw:
                continue
            self.raw[item.code] = raw
            if item.kind == "multiple":
                typed[item.code] = [_parse_choice(value.strip()) for value in raw]
            elif item.kind in OPTION_KINDS:
                typed[item.code] = _parse_choice(raw[0].strip())
            elif item.kind == "number":
                typed[item.code] = _parse_number(raw[0].strip())
            else:
                typed[item.code] = raw[0]
        # Definition order: a condition is always decided before the items that depend on it.
        for item in self.definition.items:
            if item.code in typed and is_shown(item, self.answers):
                self.answers[item.code] = typed[item.code]

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for code, messages in errors.items():
            self.errors.setdefault(code, []).extend(messages)

    def parts(self) -> list[Part]:
        """The checklist as numbered parts and questions in the active language."""
        language = (get_language() or "ru")[:2]
        numbers = self.definition.numbers
        parts = []
        for index, section in enumerate(self.definition.sections, start=1):
            questions = [self._question(item, numbers[item.code], numbers, language) for item in section.items]
            parts.append(
                Part(
                    section=section,
                    number=index,
                    title=pick(section.title, language),
                    intro=pick(section.intro, language),
                    questions=questions,
                )
            )
        return parts

    def _question(self, item: ItemDef, number: str, numbers: dict[str, str], language: str) -> Question:
        raw = self.raw.get(item.code, [])
        question = Question(
            item=item,
            number=number,
            text=item.question(language),
            help=pick(item.help, language),
            condition=self._condition(item, numbers, language),
            value=raw[0] if raw and not item.has_options else "",
            errors=self.errors.get(item.code, []),
        )
        for option in item.options:
            question.choices.append(
                Choice(
                    id=f"q-{item.code}-{option.value}",
                    value=str(option.value),
                    label=option.text(language),
                    checked=str(option.value) in [value.strip() for value in raw],
                    missing=option.missing,
                )
            )
        return question

    def _condition(self, item: ItemDef, numbers: dict[str, str], language: str) -> str:
        if not item.show_if_item:
            return ""
        parent = self.definition.by_code.get(item.show_if_item)
        labels = []
        for value in item.show_if_values:
            option = parent.option(value) if parent else None
            labels.append(f"«{option.text(language)}»" if option else str(value))
        return _("Answer only if you chose %(answers)s in question %(number)s.") % {
            "answers": _(" or ").join(labels),
            "number": numbers.get(item.show_if_item, "?"),
        }


# The Kazakh Cyrillic alphabet, which holds the Russian one in its order: Python's code-point
# order would put Ә, Қ, Ө, Ұ ... after Я.
_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_RANK = {letter: index for index, letter in enumerate(_ALPHABET)}


def alphabetical(text: str) -> tuple:
    """A sort key that orders Russian and Kazakh names as a dictionary does."""
    return tuple((_RANK.get(char, -1), char) if char in _RANK else (-1, char) for char in text.lower())


@dataclass
class DistrictGroup:
    label: str
    districts: list[District]


def district_groups(districts) -> list[DistrictGroup]:
    """Districts residents answer for, grouped by city (its districts) or region (its cities,
    then its districts), with names in the active language. One query for the whole list."""
    districts = list(districts)
    by_pk = {district.pk: district for district in districts}
    parents = {district.parent_id for district in districts if district.parent_id}
    # District.takes_responses, without a query per district.
    leaves = [
        d
        for d in districts
        if d.kind in (District.Kind.DISTRICT, District.Kind.CITY_DISTRICT)
        or (d.kind == District.Kind.CITY and d.pk not in parents)
    ]
    kind_label = {
        District.Kind.CITY: _("cities"),
        District.Kind.DISTRICT: _("districts"),
    }
    kind_order = {District.Kind.CITY_DISTRICT: 0, District.Kind.CITY: 1, District.Kind.DISTRICT: 2}
    groups: dict[tuple, list[District]] = {}
    for district in leaves:
        parent = by_pk.get(district.parent_id)
        groups.setdefault((parent.pk if parent else None, district.kind), []).append(district)

    def group_label(parent_pk, kind) -> str:
        parent = by_pk.get(parent_pk)
        if parent is None:
            return str(kind_label.get(kind, ""))
        if kind == District.Kind.CITY_DISTRICT or parent.kind != District.Kind.REGION:
            return translated(parent, "name")
        return f"{translated(parent, 'name')}: {kind_label.get(kind, '')}"

    def sort_key(key):
        parent_pk, kind = key
        parent = by_pk.get(parent_pk)
        # A city's own districts first (the regional centre), then cities, then rural districts.
        return (kind_order.get(kind, 9), parent.code if parent else "")

    return [
        DistrictGroup(
            label=group_label(*key),
            districts=sorted(groups[key], key=lambda d: alphabetical(translated(d, "name"))),
        )
        for key in sorted(groups, key=sort_key)
    ]
