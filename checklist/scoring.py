"""Scores of one respondent (METHOD.md §3): pure functions, answers in, scores out.

`answers` maps item codes to stored values (option values for scales). Nothing here
touches the database; the benchmark and the reports reuse these functions.
"""

from dataclasses import asdict, dataclass

from .definition import ChecklistDef, ItemDef

SUBSCORES = ("feeling", "environment", "police")
SAFE_POINTS = (3, 4)  # "very safe" and "fairly safe" on the 4-point scale, METHOD.md §3.3
UNSAFE_POINTS = (1, 2)


@dataclass(frozen=True)
class Scores:
    feeling: float | None  # the perceived-safety index
    environment: float | None
    police: float | None
    overall: float | None
    sdg_safe: bool | None  # SDG 16.1.4: feels safe walking alone after dark

    def as_dict(self) -> dict:
        return asdict(self)


def scale_point(item: ItemDef, value) -> int | None:
    """The answer's point on the item's scale, or None for no answer or a "missing" option."""
    option = item.option(value)
    if option is None or option.missing:
        return None
    return option.value


def rescale(point: int, points: int, reverse: bool = False) -> float:
    """METHOD.md §3.1: s = 100·(x−1)/(k−1), after flipping x -> k+1−x for reverse items."""
    if reverse:
        point = points + 1 - point
    return 100.0 * (point - 1) / (points - 1)


def effective_answers(checklist: ChecklistDef, answers: dict) -> dict:
    """Answers with each stand-in applied: "I never walk alone after dark" is replaced by
    the hypothetical "how safe would you feel" answer when given (METHOD.md §3.1)."""
    effective = dict(answers)
    for item in checklist.items:
        if not item.substitutes or item.code not in answers:
            continue
        original = checklist.by_code[item.substitutes]
        if scale_point(original, answers.get(item.substitutes)) is None:
            effective[item.substitutes] = answers[item.code]
    return effective


def item_score(item: ItemDef, value) -> float | None:
    """A scaled answer on 0–100, 100 the safest or most favourable end (METHOD.md §3.1)."""
    point = scale_point(item, value)
    if point is None:
        return None
    return rescale(point, item.scale_points, item.reverse)


def subscore(items: tuple[ItemDef, ...], answers: dict) -> float | None:
    """Mean of the answered items; missing when fewer than half are answered (METHOD.md §3.2)."""
    scores = [s for s in (item_score(item, answers.get(item.code)) for item in items) if s is not None]
    if not items or len(scores) * 2 < len(items):
        return None
    return sum(scores) / len(scores)


def sdg_flag(checklist: ChecklistDef, answers: dict) -> bool | None:
    """METHOD.md §3.3: safe (very or fairly) after dark = True, unsafe = False, else None."""
    item = next((item for item in checklist.items if item.sdg), None)
    if item is None:
        return None
    point = scale_point(item, effective_answers(checklist, answers).get(item.code))
    if point in SAFE_POINTS:
        return True
    if point in UNSAFE_POINTS:
        return False
    return None


def respondent_scores(checklist: ChecklistDef, answers: dict) -> Scores:
    """The perceived-safety index, the sub-scores, the overall score and the SDG flag."""
    effective = effective_answers(checklist, answers)
    parts = {name: subscore(checklist.subscore_items(name), effective) for name in SUBSCORES}
    available = [value for value in parts.values() if value is not None]
    return Scores(
        feeling=parts["feeling"],
        environment=parts["environment"],
        police=parts["police"],
        overall=sum(available) / len(available) if available else None,
        sdg_safe=sdg_flag(checklist, answers),
    )
