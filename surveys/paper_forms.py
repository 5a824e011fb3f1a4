"""Forms of the paper workflow. Keyed answers are plain text fields: digits for options,
numbers, text; they are typed by `paper_answers.parse_keyed` and validated by the service,
whose messages are attached back to the fields."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from checklist.answers import is_blank
from checklist.definition import ChecklistDef, ItemDef

from .models import Wave
from .paper_answers import display_value, keyed_text, parse_keyed
from .paper_models import LANGUAGE_CHOICES

PICK_A_VALUE = _("Choose the first value, the second, or type the right one.")


class SerialForm(forms.Form):
    serial = forms.CharField(
        label=_("Sheet serial"),
        max_length=80,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "serial-input",
                "placeholder": "KRG-KZB-2020-000123-2",
            }
        ),
        help_text=_("Type it or scan the QR code; press Enter."),
    )


def option_hint(item: ItemDef, language: str) -> str:
    return " · ".join(f"{option.value} {option.text(language)}" for option in item.options)


class KeyedAnswersForm(forms.Form):
    """One text field per checklist item, in sheet order, named by the item code."""

    def __init__(self, *args, definition: ChecklistDef, language: str, numbers: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        for item in definition.items:
            attrs = {"autocomplete": "off", "data-kind": item.kind, "class": "keyed"}
            if item.has_options:
                attrs["inputmode"] = "numeric"
                attrs["data-values"] = " ".join(str(option.value) for option in item.options)
            elif item.kind == "number":
                attrs["inputmode"] = "decimal"
            if item.show_if_item:
                attrs["data-show-if-item"] = item.show_if_item
                attrs["data-show-if-values"] = " ".join(str(value) for value in item.show_if_values)
            if item.max_length and item.kind in ("text", "place"):
                attrs["maxlength"] = item.max_length
            self.fields[item.code] = forms.CharField(
                label=f"{numbers[item.code]}. {item.question(language)}",
                required=False,
                widget=forms.TextInput(attrs=attrs),
                help_text=option_hint(item, language) if item.has_options else "",
            )
            self.fields[item.code].item = item

    def answers(self) -> dict:
        """Typed answers of the non-blank fields (call after is_valid())."""
        answers = {}
        for item in self.definition.items:
            value = parse_keyed(item, self.cleaned_data.get(item.code))
            if not is_blank(value):
                answers[item.code] = value
        return answers

    def add_answer_errors(self, errors: dict[str, list[str]]) -> None:
        for code, messages in errors.items():
            for message in messages:
                self.add_error(code if code in self.fields else None, message)

    def item_fields(self):
        return [self[item.code] for item in self.definition.items]


class EditForm(KeyedAnswersForm):
    """A committed sheet's answers, to correct, with the reason kept in its history."""

    reason = forms.CharField(
        label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )

    @classmethod
    def initial_from(cls, definition: ChecklistDef, answers: dict) -> dict:
        return {item.code: keyed_text(item, answers.get(item.code)) for item in definition.items}


class ReconcileForm(KeyedAnswersForm):
    """Every item, prefilled where the two entries agree; for each item where they differ,
    the coordinator takes the first value, the second, or types the one on the paper."""

    reason = forms.CharField(label=_("Note (optional)"), required=False, max_length=1000)

    def __init__(self, *args, first: dict, second: dict, differing: list[str], language: str, **kwargs):
        super().__init__(*args, language=language, **kwargs)
        self.first, self.second, self.differing = first, second, set(differing)
        for item in self.definition.items:
            if item.code not in self.differing:
                continue
            self.fields[f"pick-{item.code}"] = forms.ChoiceField(
                required=False,
                widget=forms.RadioSelect,
                choices=[
                    ("first", display_value(item, first.get(item.code), language)),
                    ("second", display_value(item, second.get(item.code), language)),
                    ("typed", _("as typed")),
                ],
            )

    def rows(self):
        for item in self.definition.items:
            differs = item.code in self.differing
            yield {
                "item": item,
                "field": self[item.code],
                "pick": self[f"pick-{item.code}"] if differs else None,
                "first": self.first.get(item.code),
                "second": self.second.get(item.code),
                # As a volunteer keys it, so that picking an entry can fill the value box.
                "first_keyed": keyed_text(item, self.first.get(item.code)),
                "second_keyed": keyed_text(item, self.second.get(item.code)),
                "differs": differs,
            }

    def differences(self) -> list[dict]:
        """The differing questions in sheet order, for the list at the top of the page."""
        return [row for row in self.rows() if row["differs"]]

    def unsettled(self) -> list[dict]:
        """The questions the coordinator still has to settle (after a refused commit)."""
        return [row for row in self.rows() if row["field"].errors or (row["pick"] and row["pick"].errors)]

    def answers(self) -> dict:
        answers = {}
        for item in self.definition.items:
            if item.code in self.differing:
                choice = self.cleaned_data.get(f"pick-{item.code}")
                typed = self.cleaned_data.get(item.code)
                if choice == "first":
                    value = self.first.get(item.code)
                elif choice == "second":
                    value = self.second.get(item.code)
                elif choice == "typed" or (typed or "").strip():
                    value = parse_keyed(item, typed)
                else:
                    self.add_error(f"pick-{item.code}", PICK_A_VALUE)
                    continue
            else:
                value = parse_keyed(item, self.cleaned_data.get(item.code))
            if not is_blank(value):
                answers[item.code] = value
        return answers


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this sheet void?"),
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. spoiled, duplicate interview")}),
    )


class BatchForm(forms.Form):
    district = forms.ModelChoiceField(label=_("District"), queryset=None, empty_label=None)
    wave = forms.ModelChoiceField(label=_("Wave"), queryset=Wave.objects.order_by("-starts_on"), empty_label=None)
    language = forms.ChoiceField(label=_("Language of the questionnaire"), choices=LANGUAGE_CHOICES)
    size = forms.IntegerField()  # bounds set per instance, from the settings

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        self.fields["district"].label_from_instance = lambda district: f"{district.name} ({district.code})"
        self.fields["size"] = forms.IntegerField(
            label=_("Number of sheets"), min_value=1, max_value=settings.PAPER_BATCH_MAX_SHEETS, initial=50
        )
        if not self.is_bound and (current := Wave.current()):
            self.initial.setdefault("wave", current.pk)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("Fill in the template of this batch: one row per sheet, the digits as keyed."),
    )
