"""What a draft checklist changes against the live version: the summary an admin confirms
before publishing it. Pure: two definitions in, a list of changes out."""

from dataclasses import dataclass, fields

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from .definition import LANGUAGES, ChecklistDef, ItemDef

ADDED, REMOVED, CHANGED, MOVED = "added", "removed", "changed", "moved"

# What residents or the scores see of an item, with the words an admin reads for each.
ITEM_ASPECTS = {
    "text": _("wording"),
    "help": _("hint"),
    "options": _("answer options"),
    "kind": _("kind of question"),
    "required": _("required or optional"),
    "reverse": _("reverse scoring"),
    "subscore": _("sub-score"),
    "sdg": _("SDG 16.1.4 item"),
    "substitutes": _("stands in for"),
    "show_if_item": _("condition"),
    "show_if_values": _("condition"),
    "min_value": _("limits"),
    "max_value": _("limits"),
    "max_length": _("limits"),
}


@dataclass(frozen=True)
class Change:
    kind: str  # ADDED, REMOVED, CHANGED or MOVED
    code: str  # an item's code, or "" for the checklist's own texts
    number: str  # the question's number in the draft (in the live version if removed)
    question: str  # in the admin's language
    aspects: tuple[str, ...] = ()  # what changed, for CHANGED


def _item_aspects(live: ItemDef, draft: ItemDef) -> tuple[str, ...]:
    changed = []
    for field in fields(ItemDef):
        if field.name in ("code", "section"):
            continue
        if getattr(live, field.name) != getattr(draft, field.name):
            label = str(ITEM_ASPECTS.get(field.name, field.name))
            if label not in changed:
                changed.append(label)
    return tuple(changed)


def checklist_changes(live: ChecklistDef | None, draft: ChecklistDef, language: str) -> list[Change]:
    """Every item the draft adds, removes, rewords or moves to another part, in the draft's
    order (removed items last), and a change of the title, consent or thank-you texts, all
    worded in `language`."""
    with override(language):
        return _changes(live, draft, language)


def _changes(live: ChecklistDef | None, draft: ChecklistDef, language: str) -> list[Change]:
    if live is None:
        return [Change(ADDED, item.code, draft.numbers[item.code], item.question(language)) for item in draft.items]
    changes = []
    texts = [name for name in ("title", "consent", "thanks") if getattr(live, name) != getattr(draft, name)]
    if texts:
        names = {"title": _("title"), "consent": _("consent text"), "thanks": _("thank-you text")}
        own_texts = str(_("The checklist's own texts"))
        changes.append(Change(CHANGED, "", "", own_texts, tuple(str(names[n]) for n in texts)))
    for item in draft.items:
        before = live.by_code.get(item.code)
        number = draft.numbers[item.code]
        if before is None:
            changes.append(Change(ADDED, item.code, number, item.question(language)))
            continue
        aspects = _item_aspects(before, item)
        if aspects:
            changes.append(Change(CHANGED, item.code, number, item.question(language), aspects))
        if before.section != item.section:
            changes.append(Change(MOVED, item.code, number, item.question(language)))
    for item in live.items:
        if item.code not in draft.by_code:
            changes.append(Change(REMOVED, item.code, live.numbers[item.code], item.question(language)))
    return changes


def languages_missing(draft: ChecklistDef) -> list[str]:
    """Languages in which some question of the draft has no text: residents choosing them
    would read it in Russian."""
    return [code for code in LANGUAGES if any(not item.text.get(code) for item in draft.items)]
