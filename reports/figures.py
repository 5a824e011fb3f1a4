"""The figures of one wave as the reports and exports show them.

Reads the responses once (`reports.data.load_frame`), computes every figure of the wave
for the region and all districts (`reports.aggregation.wave_figures`), the trend over the
waves up to it (`trend`) and the distribution of answers to the index items, and returns
them together with the checklist definition that labels them. District reports use the
same computation as the region report, so a figure is the same (and suppressed the same
way, METHOD.md §4.8) in every output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings

from checklist.definition import ChecklistDef, definition_for
from checklist.models import Checklist, District
from checklist.scoring import item_score
from surveys.models import Wave

from . import aggregation
from .data import INDEX_ITEM_COLUMN, index_codes, load_frame, population
from .method import WEIGHTED

REGION = "region"


@dataclass
class Scale:
    """A group of index items that share one answer scale (e.g. the four "how safe" items),
    with the scale's labels from the least to the most favourable answer."""

    labels: list[dict[str, str]]
    items: list[str]
    scores: list[float]


@dataclass
class WaveResults:
    wave: Wave
    previous: Wave | None
    waves: list[Wave]
    population: dict[str, dict]
    figures: dict[str, Any]
    trend: dict[str, Any]
    definition: ChecklistDef | None
    scales: list[Scale] = field(default_factory=list)
    # {unit code or "region": {item code: [share per scale point] or None (suppressed)}}
    distributions: dict[str, dict[str, list[float] | None]] = field(default_factory=dict)
    districts: dict[str, District] = field(default_factory=dict)
    min_cell: int = 10
    weighted: bool = WEIGHTED
    # How many responses each district's figures rest on, over every wave read (the trend and
    # the change read the earlier waves): the publication record of a snapshot (METHOD.md §4.10).
    inputs: dict[str, int] = field(default_factory=dict)


def as_wave(wave: Wave | str) -> Wave:
    return wave if isinstance(wave, Wave) else Wave.objects.get(code=str(wave))


def reporting_units() -> dict[str, District]:
    """The districts residents answer for, by code (what `population()` lists)."""
    codes = set(population())
    return {d.code: d for d in District.objects.filter(code__in=codes).order_by("code")}


def wave_results(wave: Wave | str, *, progress=None) -> WaveResults:
    """Everything the report of `wave` needs; `progress(percent)` is called up to 100."""
    progress = progress or (lambda percent: None)
    wave = as_wave(wave)
    min_cell = settings.REPORT_MIN_CELL
    waves = list(Wave.objects.filter(starts_on__lte=wave.starts_on).order_by("starts_on"))
    previous = wave.previous()
    pop = population()
    progress(5)
    frame = load_frame(waves=[w.code for w in waves], detail_waves=[wave.code])
    progress(45)
    figures = aggregation.wave_figures(
        frame, pop, wave.code, previous.code if previous else None, min_cell=min_cell, weighted=WEIGHTED
    )
    progress(75)
    trend = aggregation.trend(frame, pop, [w.code for w in waves], min_cell=min_cell, weighted=WEIGHTED)
    progress(90)
    checklist = _newest_checklist_of(wave)
    definition = definition_for(checklist) if checklist else None
    scales = index_scales(definition) if definition else []
    current = frame[frame["wave"] == wave.code].reset_index(drop=True)
    distributions = answer_distributions(current, pop, scales, figures, min_cell=min_cell)
    inputs = {str(code): int(count) for code, count in frame["district"].value_counts().items()}
    progress(100)
    return WaveResults(
        wave=wave,
        previous=previous,
        waves=waves,
        population=pop,
        figures=figures,
        trend=trend,
        definition=definition,
        scales=scales,
        distributions=distributions,
        districts=reporting_units(),
        min_cell=min_cell,
        inputs=inputs,
    )


def _newest_checklist_of(wave: Wave) -> Checklist | None:
    """The newest checklist version answered in the wave (its texts label the report), else
    the current one."""
    used = Checklist.objects.filter(responses__wave=wave).distinct().order_by("-version").first()
    return used or Checklist.current()


def index_scales(definition: ChecklistDef) -> list[Scale]:
    """The index items grouped by answer scale, in questionnaire order (METHOD.md §2 A)."""
    groups: dict[tuple, Scale] = {}
    for code in index_codes([definition]):
        item = definition.by_code[code]
        points = sorted(
            ((item_score(item, o.value), o.label) for o in item.options if item_score(item, o.value) is not None),
            key=lambda pair: pair[0],
        )
        key = tuple(tuple(sorted(label.items())) for _, label in points)
        if key not in groups:
            groups[key] = Scale(labels=[label for _, label in points], items=[], scores=[s for s, _ in points])
        groups[key].items.append(code)
    return list(groups.values())


def answer_distributions(
    frame: pd.DataFrame, pop: dict, scales: list[Scale], figures: dict, *, min_cell: int
) -> dict[str, dict[str, list[float] | None]]:
    """Weighted shares of each answer to each index item, for the region and each district
    (weights of METHOD.md §4.1). A share rests on the respondents who answered the item;
    fewer than `min_cell` of them, or a unit whose index is suppressed, gives None (§4.8)."""
    out: dict[str, dict[str, list[float] | None]] = {REGION: {}}
    if not len(frame):
        return out
    present = [d for d in pd.unique(frame["district"]) if d in pop]
    frame = frame[frame["district"].isin(present)].reset_index(drop=True)
    if not len(frame):
        return out
    w_district = aggregation.district_weights(frame, pop).to_numpy()
    w_region = aggregation.region_weights(frame, pop, w_district).to_numpy()
    codes, names = pd.factorize(frame["district"])
    units = len(names)
    blocked = {
        code: (unit.get("suppressed") or unit.get("weighted", {}).get("index", {}).get("suppressed", True))
        for code, unit in figures["districts"].items()
    }
    blocked[REGION] = figures["region"].get("suppressed", True)
    for name in names:
        out[str(name)] = {}
    for scale in scales:
        k = len(scale.scores)
        for item in scale.items:
            column = INDEX_ITEM_COLUMN + item
            if column not in frame:
                continue
            x = frame[column].to_numpy(dtype="float64")
            answered = ~np.isnan(x)
            category = np.full(len(x), -1)
            for position, score in enumerate(scale.scores):
                category[np.isclose(x, score)] = position
            answered &= category >= 0
            counts = np.bincount(codes[answered], minlength=units)
            sums = np.bincount(codes[answered] * k + category[answered], weights=w_district[answered],
                               minlength=units * k).reshape(units, k)
            for index, name in enumerate(names):
                total = sums[index].sum()
                ok = counts[index] >= min_cell and total > 0 and not blocked.get(str(name), True)
                out[str(name)][item] = (sums[index] / total).tolist() if ok else None
            region = np.bincount(category[answered], weights=w_region[answered], minlength=k)
            ok = answered.sum() >= min_cell and region.sum() > 0 and not blocked[REGION]
            out[REGION][item] = (region / region.sum()).tolist() if ok else None
    return out
