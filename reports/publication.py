"""The document of published figures (METHOD.md §4.10): pure functions, no database.

A snapshot publishes, per *unit* (the region and each district; a cell of §4.10 is a wave ×
unit), the unit's figures (its entry of `aggregation.wave_figures`), its trend and its answer
distributions, rounded to what the report displays, with its publication record. This module
rounds them (`unit_entry`), decides unit by unit whether a unit is published again or carried
forward from its last publication (`republishes`), and puts the document together
(`compose`). `reports.snapshots` reads the database and calls these.

The document::

    {"format": 1, "wave", "previous_wave", "waves": [wave codes of the trend], "min_cell",
     "primary", "blocks", "weighted", "checklist_version", "population": {code: {...}},
     "units": {"region" | district code: {
         "figures": wave_figures unit, "trend": [trend points], "distributions": {item: [shares]},
         "population": the district's {"adult_population", "margins"} (districts only),
         "publication": {"snapshot": id it was computed in, "responses": how many responses
                         it rests on (every wave read), "last_response": the highest response
                         id it had seen, "last_change": the highest sheet-change id}}}}
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

FORMAT = 1
REGION = "region"

# METHOD.md §4.10: published values are rounded to what is displayed; counts stay exact.
SCORE_PLACES = 1  # scores on 0–100: 0.1
SHARE_PLACES = 3  # shares as fractions: 0.001 is 0.1 percentage point
CORRELATION_PLACES = 2  # a key-driver correlation, as the report prints it
DEFF_PLACES = 2  # the design effect, as the report prints it
N_EFF_PLACES = 0  # the effective sample size, printed as a whole number
SCORE_KEYS = ("index", "environment", "police", "overall")
ESTIMATE_NUMBERS = ("value", "se", "low", "high")
CHANGE_NUMBERS = ("diff", "se", "low", "high")


def _rounded(value: Any, places: int) -> Any:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return round(float(value), places)


def _share(value: Any) -> Any:
    """A share (0–1) on the 0.1-percentage-point grid, at the point nearest to it that the
    report prints as the same whole percentage (`reports.rendering._Formatter.percent`:
    round(share × 100)). Plain rounding would print 31.46% as 32% once published as 31.5%;
    this publishes 31.4% instead, 0.06 point off, still on the grid."""
    rounded = _rounded(value, SHARE_PLACES)
    if not isinstance(rounded, float):
        return rounded
    wanted, shown = round(float(value) * 100), round(rounded * 100)
    if shown != wanted:
        rounded = round(rounded + (1 if wanted > shown else -1) * 10.0**-SHARE_PLACES, SHARE_PLACES)
    return rounded


def round_estimate(estimate: Mapping | None, places: int) -> dict | None:
    """An Estimate dict with its value, SE and interval at `places` decimals (a share's value
    and interval by `_share`), n_eff and deff as displayed, n exact."""
    if estimate is None:
        return None
    out = dict(estimate)
    for key in ESTIMATE_NUMBERS:
        if key in out:
            share = places == SHARE_PLACES and key != "se"
            out[key] = _share(out[key]) if share else _rounded(out[key], places)
    if "n_eff" in out:
        out["n_eff"] = _rounded(out["n_eff"], N_EFF_PLACES)
    if "deff" in out:
        out["deff"] = _rounded(out["deff"], DEFF_PLACES)
    return out


def round_change(change: Mapping | None, places: int) -> dict | None:
    if change is None:
        return None
    out = dict(change)
    for key in CHANGE_NUMBERS:
        if key in out:
            out[key] = _rounded(out[key], places)
    return out


def round_block(block: Mapping) -> dict:
    """One weighting's figures of a unit (a Block of `wave_figures`), rounded."""
    out = dict(block)
    if "n_eff" in out:
        out["n_eff"] = _rounded(out["n_eff"], N_EFF_PLACES)
    if "deff" in out:
        out["deff"] = _rounded(out["deff"], DEFF_PLACES)
    for key in SCORE_KEYS:
        if key in out:
            out[key] = round_estimate(out[key], SCORE_PLACES)
    if "sdg" in out:
        out["sdg"] = round_estimate(out["sdg"], SHARE_PLACES)
    if out.get("change") is not None:
        change = dict(out["change"])
        if "index" in change:
            change["index"] = round_change(change["index"], SCORE_PLACES)
        if "sdg" in change:
            change["sdg"] = round_change(change["sdg"], SHARE_PLACES)
        out["change"] = change
    if out.get("by_channel") is not None:
        out["by_channel"] = {
            channel: {
                **figures,
                "index": round_estimate(figures.get("index"), SCORE_PLACES),
                "sdg": round_estimate(figures.get("sdg"), SHARE_PLACES),
            }
            for channel, figures in out["by_channel"].items()
        }
    if out.get("drivers") is not None:
        out["drivers"] = [
            {
                **driver,
                "correlation": _rounded(driver.get("correlation"), CORRELATION_PLACES),
                "unfavourable_share": round_estimate(driver.get("unfavourable_share"), SHARE_PLACES),
            }
            for driver in out["drivers"]
        ]
    if out.get("victimisation") is not None:
        out["victimisation"] = [
            {
                **row,
                "share": round_estimate(row.get("share"), SHARE_PLACES),
                "reported": round_estimate(row.get("reported"), SHARE_PLACES),
            }
            for row in out["victimisation"]
        ]
    return out


def round_unit(unit: Mapping, blocks: list[str]) -> dict:
    """A unit of `wave_figures` with every block rounded (n, places counts and flags exact)."""
    out = dict(unit)
    for block in blocks:
        if block in out:
            out[block] = round_block(out[block])
    return out


def round_point(point: Mapping) -> dict:
    """A trend point: the index and the SDG share of one wave."""
    return {
        **point,
        "index": round_estimate(point.get("index"), SCORE_PLACES),
        "sdg": round_estimate(point.get("sdg"), SHARE_PLACES),
    }


def round_distributions(shares: Mapping[str, list | None]) -> dict[str, list | None]:
    return {item: None if row is None else [_share(x) for x in row] for item, row in shares.items()}


def unit_entry(
    *, unit: Mapping, blocks: list[str], trend: list | None, distributions: Mapping | None, population: Mapping | None
) -> dict:
    """What a snapshot publishes of one unit, rounded (METHOD.md §4.10)."""
    entry = {
        "figures": round_unit(unit, blocks),
        "trend": [round_point(point) for point in trend or []],
        "distributions": round_distributions(distributions or {}),
    }
    if population is not None:
        entry["population"] = copy.deepcopy(dict(population))
    return entry


def content(entry: Mapping) -> dict:
    """An entry without its publication record: what a reader sees."""
    return {key: value for key, value in entry.items() if key != "publication"}


def republishes(*, fresh: Mapping, previous: Mapping | None, changes: int | None, min_cell: int) -> bool:
    """METHOD.md §4.10, for one unit: publish its freshly computed figures again, or carry
    its last publication forward?

    Again when it was never published in this wave, or when at least `min_cell` responses
    were added to, removed from or corrected in its input since (`changes`). With no change
    at all, again when the figures still differ (new population margins, settings or code:
    the same respondents, so the difference tells nothing about any of them). Otherwise the
    last publication stands, so that two publications never differ by fewer than `min_cell`
    people."""
    if previous is None or changes is None:
        return True
    if changes >= min_cell:
        return True
    if changes == 0:
        return content(previous) != content(fresh)
    return False


def compose(
    *,
    top: Mapping,
    fresh: Mapping[str, dict],
    records: Mapping[str, dict],
    previous: Mapping | None,
    changes: Mapping[str, int | None],
    min_cell: int,
) -> tuple[dict, list[str]]:
    """The document of a snapshot and the units computed anew in it.

    `top` holds the top-level parts (wave, previous_wave, waves, min_cell, primary, blocks,
    weighted, checklist_version, population); `fresh` each unit's new entry (`unit_entry`),
    `records` its publication record should it be published now, `previous` the document of
    the wave's last snapshot (None: the first), `changes` how many responses changed in each
    unit's input since its last publication (None: not known, publish)."""
    previous_units = (previous or {}).get("units", {})
    units: dict[str, dict] = {}
    republished = []
    for code, entry in fresh.items():
        last = previous_units.get(code)
        if republishes(fresh=entry, previous=last, changes=changes.get(code), min_cell=min_cell):
            units[code] = {**entry, "publication": dict(records[code])}
            republished.append(code)
        else:
            units[code] = copy.deepcopy(last)
    document = {"format": FORMAT, **copy.deepcopy(dict(top)), "units": units}
    return document, republished


def compatible(previous: Mapping | None, top: Mapping) -> bool:
    """Whether units of the `previous` document can be carried into one with these top-level
    parts: same format, wave, suppression threshold and weightings. Otherwise (REPORT_MIN_CELL
    or the weighting changed) every unit is published again. (A new earlier wave is no reason:
    a unit whose respondents did not change is published again with its new trend and change,
    the others when their changes allow.)"""
    if not previous:
        return False
    keys = ("format", "wave", "min_cell", "primary", "blocks")
    return all(previous.get(key) == {**top, "format": FORMAT}.get(key) for key in keys)


def digest(document: Mapping) -> str:
    """The snapshot's `publication`: equal documents, equal digests."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
