"""Frames of responses for the aggregation tests, built in memory (no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

ITEMS = ("env_lighting", "env_cctv", "env_disorder", "pol_trust", "pol_response")
VICTIM_TYPES = ("burglary", "fraud")


def _column(values, n, dtype):
    if np.isscalar(values) or values is None:
        values = [values] * n
    return pd.Series(list(values), dtype=dtype)


def build_frame(n: int | None = None, **columns) -> pd.DataFrame:
    """A frame with the columns ``wave_figures`` reads; ``columns`` override the
    defaults (one wave "2021", district "KRG-KZB", online, everything else missing).
    Column names with a colon are passed as ``item__x`` -> ``item:x``."""
    columns = {k.replace("__", ":", 1): v for k, v in columns.items()}
    if n is None:
        n = max((len(v) for v in columns.values() if not np.isscalar(v) and v is not None), default=0)
    defaults = {
        "wave": ("2021", "str"),
        "district": ("KRG-KZB", "str"),
        "channel": ("online", "str"),
        "age_group": (None, "Int64"),
        "sex": (None, "Int64"),
        "feeling": (np.nan, "float64"),
        "environment": (np.nan, "float64"),
        "police": (np.nan, "float64"),
        "overall": (np.nan, "float64"),
        "sdg_safe": (np.nan, "float64"),
        "unsafe_place_type": (None, "Int64"),
        "unsafe_bus_route": (None, "str"),
    }
    data = {}
    for name, (value, dtype) in defaults.items():
        data[name] = _column(columns.pop(name, value), n, dtype)
    for name, values in columns.items():
        data[name] = _column(values, n, "float64")
    return pd.DataFrame(data)


def random_frame(
    rng: np.random.Generator,
    n: int,
    *,
    wave: str = "2021",
    districts: tuple[str, ...] = ("KRG-KZB", "KRG-TEM", "KRG-NUR"),
    shift: float = 0.0,
) -> pd.DataFrame:
    """A plausible random frame: scores driven by a latent safety level, items that
    correlate with the index, victimisation, places."""
    latent = rng.normal(55 + shift, 15, n)
    district = rng.choice(districts, n)
    age = rng.choice([1, 2, 3, 4], n, p=[0.35, 0.3, 0.2, 0.15])
    sex = rng.choice([1, 2], n, p=[0.6, 0.4])
    points = np.arange(5) * 25.0

    def maybe_missing(x, share):
        x = np.asarray(x, dtype=float).copy()
        x[rng.random(n) < share] = np.nan
        return x

    cols = {
        "wave": wave,
        "district": district,
        "channel": rng.choice(["online", "paper"], n),
        "age_group": np.where(rng.random(n) < 0.05, None, age).tolist(),
        "sex": np.where(rng.random(n) < 0.05, None, sex).tolist(),
        "feeling": maybe_missing(np.clip(latent, 0, 100), 0.05),
        "environment": maybe_missing(np.clip(latent + rng.normal(0, 10, n), 0, 100), 0.05),
        "police": maybe_missing(np.clip(latent + rng.normal(0, 10, n), 0, 100), 0.05),
        "sdg_safe": maybe_missing((latent + rng.normal(0, 10, n) > 55).astype(float), 0.05),
        "unsafe_place_type": np.where(rng.random(n) < 0.3, None, rng.integers(1, 9, n)).tolist(),
    }
    cols["overall"] = np.nanmean(np.column_stack([cols["feeling"], cols["environment"], cols["police"]]), axis=1)
    for k, item in enumerate(ITEMS):
        noise = rng.normal(0, 10 + 8 * k, n)
        cols[f"item__{item}"] = maybe_missing(points[np.clip(np.round((latent + noise) / 25), 0, 4).astype(int)], 0.1)
    for t in VICTIM_TYPES:
        victim = maybe_missing((rng.random(n) < 0.15).astype(float), 0.05)
        cols[f"vic__{t}"] = victim
        cols[f"vic__{t}_reported"] = np.where(victim == 1.0, (rng.random(n) < 0.4).astype(float), np.nan)
    cols["unsafe_bus_route"] = np.where(
        np.array(cols["unsafe_place_type"], dtype=object) == 2, rng.choice(["7", "12", "12A"], n), None
    ).tolist()
    return build_frame(n, **cols)


def population_for(districts, *, margins: bool = True) -> dict:
    """Adult populations and (invented) margins for ``districts``."""
    out = {}
    for k, d in enumerate(districts):
        entry = {"adult_population": 20_000 * (k + 1)}
        if margins:
            entry["margins"] = {
                "age_group": {1: 0.22, 2: 0.28, 3: 0.26, 4: 0.24},
                "sex": {1: 0.54, 2: 0.46},
            }
        out[d] = entry
    return out


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20211)


@pytest.fixture
def make_frame():
    return build_frame


@pytest.fixture
def make_random_frame():
    return random_frame


@pytest.fixture
def make_population():
    return population_for
