"""A small, deterministic set of responses for the report tests, stored through
`response_submit` (so answers are validated and scored as in production)."""

import random

from checklist.answers import is_shown
from checklist.definition import ChecklistDef
from surveys.models import Response
from surveys.services import response_submit

ROUTES = ("12", "12А", " 7 ", "31", "45")  # "12А" with a Cyrillic letter normalises to "12A"


def random_answers(definition: ChecklistDef, rng: random.Random, safety: float) -> dict:
    """Answers to every shown item; `safety` in [0, 1] leans scales to the favourable end."""
    answers: dict = {}
    for item in definition.items:
        if not is_shown(item, answers):
            continue
        if not item.required and rng.random() < 0.15:
            continue
        if item.kind in ("likert", "single", "yes_no"):
            options = [option for option in item.options if not option.missing]
            if item.kind == "likert":
                if rng.random() < 0.05:
                    answers[item.code] = next(o.value for o in item.options if o.missing)
                    continue
                points = sorted(options, key=lambda o: o.value)
                if item.reverse:
                    points = points[::-1]
                # favourable end with probability growing with `safety`
                position = min(len(points) - 1, int(rng.betavariate(1 + 4 * safety, 5 - 4 * safety) * len(points)))
                answers[item.code] = points[position].value
            elif item.kind == "yes_no":
                answers[item.code] = 1 if rng.random() < (0.35 if item.code.endswith("_reported") else 0.12) else 0
            else:
                answers[item.code] = rng.choice(options).value
        elif item.kind == "place":
            answers[item.code] = rng.choice(ROUTES)
        elif item.kind == "text":
            answers[item.code] = rng.choice(["Двор у дома 5, темно", "=HYPERLINK(\"http://x\")", "остановка"])
    return answers


def seed_responses(*, definition, checklist, wave, district, count, safety, seed, paper_share=0.4) -> list[Response]:
    rng = random.Random(seed)
    stored = []
    for _ in range(count):
        response, _ = response_submit(
            district=district,
            language=rng.choice(["ru", "kk", "en"]),
            answers=random_answers(definition, rng, safety),
            channel=Response.Channel.PAPER if rng.random() < paper_share else Response.Channel.ONLINE,
            checklist=checklist,
            wave=wave,
        )
        stored.append(response)
    return stored


def answers_with(definition: ChecklistDef, **chosen) -> dict:
    """A valid answer sheet: `chosen` answers, and the middle option of every other
    required, shown scale; yes/no questions answered "no"."""
    answers: dict = {}
    for item in definition.items:
        if not is_shown(item, {**answers, **chosen}):
            continue
        if item.code in chosen:
            if chosen[item.code] is not None:
                answers[item.code] = chosen[item.code]
        elif item.required:
            options = [option.value for option in item.options if not option.missing]
            answers[item.code] = 0 if item.kind == "yes_no" else sorted(options)[len(options) // 2]
    return answers


def seed_report_data(*, checklist, definition, districts, wave) -> dict:
    """Two waves of responses: Kazybek Bi and Temirtau with enough responses in both, Saran
    with too few (its figures must be suppressed everywhere) and Abai with a few more, the
    next smallest district: it is suppressed too, so that Saran's figures cannot be worked
    out from the region total (complementary suppression, METHOD.md §4.8)."""
    import datetime

    from surveys.models import Wave

    earlier = Wave.objects.create(code="2019", name="2019", starts_on=datetime.date(2019, 3, 1))
    plan = [
        (wave, "KRG-KZB", 40, 0.35, 11), (wave, "KRG-TEM", 32, 0.6, 12),
        (wave, "KRG-SAR", 5, 0.5, 13), (wave, "KRG-ABA", 12, 0.5, 14),
        (earlier, "KRG-KZB", 30, 0.25, 21), (earlier, "KRG-TEM", 24, 0.5, 22),
    ]
    for target, code, count, safety, seed in plan:
        seed_responses(definition=definition, checklist=checklist, wave=target, district=districts[code],
                       count=count, safety=safety, seed=seed)
    return {"wave": wave, "previous": earlier}


def boundaries_geojson(districts, *, skip=(), extra_features=()) -> dict:
    """A FeatureCollection with a made-up boundary per district that takes responses: a
    slightly irregular polygon around its tile-map cell, in degrees near Karaganda."""
    features = []
    for district in sorted(districts.values(), key=lambda d: d.code):
        if district.tile_row is None or district.code in skip:
            continue
        lon, lat = 70.0 + district.tile_col * 1.6, 51.0 - district.tile_row * 1.1
        ring = [[lon, lat], [lon + 1.6, lat + 0.05], [lon + 1.55, lat - 1.1], [lon + 0.7, lat - 1.15],
                [lon - 0.05, lat - 1.05], [lon, lat]]
        geometry = {"type": "Polygon", "coordinates": [ring]}
        if district.code == "KRG-BAL":  # a district with an island and a lake
            lake = [[lon + 0.5, lat - 0.3], [lon + 0.5, lat - 0.6], [lon + 0.9, lat - 0.6], [lon + 0.5, lat - 0.3]]
            island = [[lon + 2.0, lat - 0.2], [lon + 2.3, lat - 0.2], [lon + 2.3, lat - 0.5], [lon + 2.0, lat - 0.2]]
            geometry = {"type": "MultiPolygon", "coordinates": [[ring, lake], [island]]}
        features.append({"type": "Feature", "properties": {"code": district.code, "name": district.name_en},
                         "geometry": geometry})
    return {"type": "FeatureCollection", "features": [*features, *extra_features]}
