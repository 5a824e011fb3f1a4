"""Time ``reports.aggregation.wave_figures`` on a synthetic in-memory frame.

    cd /work/wt-stats && /work/main/.venv/bin/python bench/aggregate_inmemory.py [rows] [repeats]

Builds the caller's frame (one row per response, the columns ``wave_figures`` reads)
with numpy only, 14 districts, one wave plus a previous wave for the change figures,
then prints build time, the best and median ``wave_figures`` time and the peak memory
that the call added (tracemalloc, numpy allocations included). A frame ordered by
district (``ORDER BY district`` in the caller's query) lets every district be read as a
slice of the columns instead of gathered row by row.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.aggregation import wave_figures  # noqa: E402

DISTRICTS = [
    "KRG-KZB", "KRG-ABK", "KRG-TEM", "KRG-BAL", "KRG-SAR", "KRG-SHA", "KRG-PRI",
    "KRG-ABA", "KRG-AKT", "KRG-BUK", "KRG-KAR", "KRG-NUR", "KRG-OSA", "KRG-SHE",
]  # fmt: skip
ITEMS = [
    "env_lighting", "env_cctv", "env_disorder", "env_youth_groups", "env_abandoned",
    "env_stray_dogs", "env_neighbours", "pol_trust", "pol_reachable", "pol_response",
    "pol_fair", "pol_cooperate",
]  # fmt: skip
VICTIM_TYPES = ["burglary", "transport_theft", "fraud", "assault_hooliganism"]
ROUTES = np.array(["1", "7", "12", "12A", "24", "31", "45", "102"], dtype=object)


def _with_missing(rng: np.random.Generator, x: np.ndarray, share: float) -> np.ndarray:
    x = x.astype(float)
    x[rng.random(len(x)) < share] = np.nan
    return x


def synthetic_population(districts: list[str] = DISTRICTS) -> dict:
    """Plausible (invented) adult populations and margins, for benchmarks and tests."""
    rng = np.random.default_rng(7)
    out = {}
    for d in districts:
        age = rng.dirichlet([6, 7, 6, 5])
        female = float(rng.uniform(0.51, 0.56))
        out[d] = {
            "adult_population": int(rng.integers(15_000, 250_000)),
            "margins": {
                "age_group": {i + 1: float(s) for i, s in enumerate(age)},
                "sex": {1: female, 2: 1 - female},
            },
        }
    return out


def synthetic_frame(rows: int, wave: str = "2021", seed: int = 1, districts: list[str] = DISTRICTS) -> pd.DataFrame:
    """A frame of ``rows`` responses of one wave, built with vectorised numpy."""
    rng = np.random.default_rng(seed)
    d_idx = rng.integers(0, len(districts), rows)
    online = rng.random(rows) < 0.45
    # Online respondents skew young: the raking has something to correct.
    age = (
        np.where(online, rng.choice(4, rows, p=[0.4, 0.35, 0.17, 0.08]), rng.choice(4, rows, p=[0.15, 0.25, 0.3, 0.3]))
        + 1
    )
    sex = rng.choice(2, rows, p=[0.6, 0.4]) + 1
    base = 45 + 3 * d_idx + 4 * (age - 1) + rng.normal(0, 15, rows)
    points = np.arange(5) * 25.0
    frame: dict[str, object] = {
        "wave": pd.Series(np.full(rows, wave, dtype=object), dtype="str"),
        "district": pd.Series(np.asarray(districts, dtype=object)[d_idx], dtype="str"),
        "channel": pd.Series(np.where(online, "online", "paper").astype(object), dtype="str"),
        "age_group": pd.array(np.where(rng.random(rows) < 0.03, -1, age), dtype="Int64"),
        "sex": pd.array(np.where(rng.random(rows) < 0.02, -1, sex), dtype="Int64"),
    }
    frame["age_group"][frame["age_group"] == -1] = pd.NA
    frame["sex"][frame["sex"] == -1] = pd.NA
    for col in ITEMS:
        raw = np.clip(np.round((base + rng.normal(0, 20, rows)) / 25), 0, 4)
        frame[f"item:{col}"] = _with_missing(rng, points[raw.astype(int)], 0.08)
    feeling = np.clip(base, 0, 100)
    frame["feeling"] = _with_missing(rng, feeling, 0.02)
    frame["environment"] = _with_missing(rng, np.clip(base + rng.normal(0, 10, rows), 0, 100), 0.05)
    frame["police"] = _with_missing(rng, np.clip(base + rng.normal(0, 12, rows), 0, 100), 0.05)
    subs = np.column_stack([frame["feeling"], frame["environment"], frame["police"]])
    answered = (~np.isnan(subs)).sum(axis=1)
    frame["overall"] = np.where(answered > 0, np.nansum(subs, axis=1) / np.maximum(answered, 1), np.nan)
    frame["sdg_safe"] = _with_missing(rng, (feeling + rng.normal(0, 10, rows) > 50).astype(float), 0.03)
    for t, p in zip(VICTIM_TYPES, [0.05, 0.08, 0.12, 0.04], strict=True):
        victim = _with_missing(rng, (rng.random(rows) < p).astype(float), 0.04)
        frame[f"vic:{t}"] = victim
        reported = (rng.random(rows) < 0.4).astype(float)
        frame[f"vic:{t}_reported"] = np.where(victim == 1.0, reported, np.nan)
    place = rng.integers(1, 9, rows)
    frame["unsafe_place_type"] = pd.array(np.where(rng.random(rows) < 0.4, -1, place), dtype="Int64")
    frame["unsafe_place_type"][frame["unsafe_place_type"] == -1] = pd.NA
    route = ROUTES[rng.choice(len(ROUTES), rows, p=[0.05, 0.3, 0.3, 0.2, 0.05, 0.04, 0.03, 0.03])]
    frame["unsafe_bus_route"] = pd.Series(np.where(place == 2, route, None), dtype="str")
    return pd.DataFrame(frame)


def main(rows: int = 1_000_000, repeats: int = 5) -> None:
    t0 = time.perf_counter()
    current = synthetic_frame(rows, "2021", seed=1)
    previous = synthetic_frame(rows // 2, "2020", seed=2)
    frame = pd.concat([previous, current], ignore_index=True)
    population = synthetic_population()
    built = time.perf_counter() - t0
    print(
        f"frame: {len(frame):,} rows ({len(current):,} in the wave), {frame.shape[1]} columns, "
        f"{frame.memory_usage(deep=True).sum() / 2**20:.0f} MiB, built in {built:.2f} s"
    )

    by_district = current.sort_values("district", kind="stable", ignore_index=True)
    runs = [
        ("one wave", current, None),
        ("one wave, rows ordered by district", by_district, None),
        ("two waves, with change", frame, "2020"),
    ]
    for label, data, prev in runs:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            figures = wave_figures(data, population, "2021", previous_wave=prev)
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        wave_figures(data, population, "2021", previous_wave=prev)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"wave_figures [{label}]: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
            f"over {repeats}; peak extra memory {peak / 2**20:.0f} MiB"
        )
    region = figures["region"]["weighted"]
    print(
        f"region index {region['index']['value']:.2f} [{region['index']['low']:.2f}, {region['index']['high']:.2f}], "
        f"sdg {region['sdg']['value']:.3f}, deff {region['deff']:.2f}; "
        f"JSON {len(json.dumps(figures, allow_nan=False)) / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
