"""District and region figures of the safety checklist: the statistics of METHOD.md §4.

Pure functions over numpy arrays and pandas frames, with no database and no Django, so
they are tested in microseconds and reused by the benchmarks. The caller builds one frame
of committed responses (one row per response; see ``wave_figures`` for the columns) and a
population dict; everything returned is plain data (dataclasses with ``to_dict()`` or
dicts of JSON types).

Small cells (METHOD.md §4.8): a figure resting on fewer than ``min_cell`` respondents is
returned with every number set to ``None`` and ``suppressed=True``. The primitive
estimators do this by themselves; ``wave_figures`` and ``trend`` compute raw figures first
and then apply primary and complementary suppression across whole breakdowns.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

# CONFIDENCE and the METHOD.md §4.1 constants live in reports/method.py (no numpy there: the
# web process fingerprints a report's input with them).
from .method import CONFIDENCE, RAKE_DIMENSIONS, RAKE_MAX_ITER, RAKE_TOL, TRIM_BOUNDS, TRIM_MAX_ROUNDS

DEFAULT_MIN_CELL = 10
# METHOD.md §4.4 fixes the significance rule at |d| > 1.96·SE (not an exact normal quantile).
CHANGE_Z = 1.96

# METHOD.md §4.5: the bottom two points of a 5-point scale rescaled to 0–100 (§3.1) are
# 0 and 25.
UNFAVOURABLE_MAX = 25.0

SCORES = ("feeling", "environment", "police", "overall")
# The perceived-safety index is the `feeling` sub-score (METHOD.md §3.2).
INDEX = "feeling"
SDG = "sdg_safe"
ITEM_PREFIX = "item:"
VIC_PREFIX = "vic:"
REPORTED_SUFFIX = "_reported"
CHANNELS = ("online", "paper")
REGION = "region"

MISSING_POPULATION = "No adult population for district {district!r}: cannot weight the region."
NOT_BINARY = "A share needs a 0/1 flag; got values other than 0, 1 and NaN."
BAD_WEIGHTS = "Weights must be finite and non-negative."
LENGTH_MISMATCH = "Values and weights differ in length ({n_y} and {n_w})."
MISSING_COLUMNS = "The responses frame lacks the columns {columns}."
MISSING_DISTRICT = "Every response of wave {wave!r} needs a district code."

REQUIRED_COLUMNS = (
    "wave", "district", "channel", "age_group", "sex", *SCORES, SDG, "unsafe_place_type", "unsafe_bus_route",
)  # fmt: skip


# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------


class _Suppressible:
    """Mixin: a figure that can be blanked out for METHOD.md §4.8."""

    suppressed: bool

    def suppress(self) -> None:
        """Set every number of this figure to None and mark it suppressed (in place)."""
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.name not in ("suppressed", *getattr(self, "_keep", ())):
                setattr(self, f.name, None)
        self.suppressed = True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]


@dataclass
class Estimate(_Suppressible):
    """A weighted mean or share with its 95% interval (METHOD.md §4.2, §4.3).

    ``value`` is on the scale of the input: 0–100 for scores, a proportion 0–1 for shares.
    ``n`` counts respondents with a value, ``n_eff`` is Kish's effective size and ``deff``
    the design effect n/n_eff. Numbers that cannot be computed (no data, n=1 for an
    interval) are None.
    """

    value: float | None
    se: float | None
    low: float | None
    high: float | None
    n: int | None
    n_eff: float | None
    deff: float | None
    suppressed: bool = False


@dataclass
class Change(_Suppressible):
    """Difference between two waves, current minus previous (METHOD.md §4.4)."""

    diff: float | None
    se: float | None
    low: float | None
    high: float | None
    significant: bool | None
    suppressed: bool = False


@dataclass
class Count(_Suppressible):
    """A number of respondents (a cell of a breakdown)."""

    n: int | None
    suppressed: bool = False


@dataclass
class Correlation(_Suppressible):
    """A weighted Pearson correlation over ``n`` respondents with both values."""

    value: float | None
    n: int | None
    suppressed: bool = False


@dataclass
class Driver:
    """One item of the key-driver analysis (METHOD.md §4.5)."""

    item: str
    correlation: float | None
    n: int | None
    unfavourable_share: Estimate
    priority: bool
    suppressed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Victimisation:
    """Share of victims of one offence type and, among them, the share who reported it
    to the police (METHOD.md §4.6). ``reported`` is None when the frame has no
    ``vic:<type>_reported`` column."""

    type: str
    share: Estimate
    reported: Estimate | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class PlaceCount:
    """How many respondents named a place type (int code) or a bus route (str)."""

    code: int | str
    count: int


@dataclass
class Places:
    """METHOD.md §4.7: counts of place types and of bus routes, largest first, top N.

    Suppressed counts (§4.8) are left out of the lists, and ``types_hidden`` /
    ``routes_hidden`` say that some were, so a report can add "other places: fewer than
    10 responses" without revealing which. ``types_total`` (respondents who named a
    place type) is shown, so the types get complementary suppression.
    """

    types_total: int | None
    types: list[PlaceCount]
    routes: list[PlaceCount]
    types_total_suppressed: bool = False
    types_hidden: bool = False
    routes_hidden: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RakeResult:
    """Raking weights of one district (METHOD.md §4.1).

    ``weights`` follow the input order and sum to n. ``converged`` says the last raking
    hit every margin within the tolerance; ``flagged`` says the district's weights need a
    look (trimming did not settle within its rounds, or raking did not converge).
    """

    weights: np.ndarray
    converged: bool
    flagged: bool
    notes: list[str] = field(default_factory=list)
    iterations: int = 0
    rounds: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Everything but the weights themselves, as JSON types."""
        return {
            "converged": bool(self.converged),
            "flagged": bool(self.flagged),
            "notes": list(self.notes),
            "iterations": int(self.iterations),
            "rounds": int(self.rounds),
        }


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _float_array(values: Any) -> np.ndarray:
    """Values as a float64 array with NaN for missing (accepts nullable pandas types)."""
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        return pd.Series(values).to_numpy(dtype="float64", na_value=np.nan)
    arr = np.asarray(values)
    if arr.dtype == object:
        return pd.Series(arr).to_numpy(dtype="float64", na_value=np.nan)
    return arr.astype("float64", copy=False)


def _weights_for(y: np.ndarray, w: Any) -> np.ndarray:
    if w is None:
        return np.ones(len(y))
    w_arr = _float_array(w)
    if len(w_arr) != len(y):
        raise ValueError(LENGTH_MISMATCH.format(n_y=len(y), n_w=len(w_arr)))
    return w_arr


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Σ aᵢbᵢ without BLAS: np.dot hands long vectors to a multi-threaded BLAS, which
    slowed a 1M-row wave_figures from 1.6 s to 25–40 s on a busy two-core machine."""
    return float(np.multiply(a, b).sum())


def _opt(x: float) -> float | None:
    """A float, or None for NaN/inf (keeps the output JSON-clean)."""
    x = float(x)
    return x if math.isfinite(x) else None


@lru_cache(maxsize=4096)
def _t_quantile(df: int, level: float = CONFIDENCE) -> float:
    return float(stats.t.ppf(0.5 + level / 2, df))


@lru_cache(maxsize=8)
def _z_quantile(level: float = CONFIDENCE) -> float:
    return float(stats.norm.isf((1 - level) / 2))


def _empty_estimate(n: int = 0) -> Estimate:
    return Estimate(None, None, None, None, n, None, None)


def _blank_below(est: Estimate, min_cell: int) -> Estimate:
    if est.n is not None and est.n < min_cell:
        est.suppress()
    return est


# ---------------------------------------------------------------------------
# METHOD.md §4.2, §4.3, §4.4: estimates and change
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Moments:
    """Sufficient statistics of a weighted mean over one cell of respondents, centred on
    the cell's own mean, so that cells combine exactly and stably into larger units
    (the pairwise-update algebra of Chan, Golub & LeVeque). The region is combined from
    its districts without a second pass over the rows."""

    n: int  # respondents with a value
    w: float  # Σw
    mean: float  # Σwy / Σw
    w2: float  # Σw²
    a: float  # Σw²(y − mean)²
    b: float  # Σw²(y − mean)


def _moments(y: np.ndarray, w: np.ndarray | None) -> _Moments:
    """Moments of values ``y`` (no NaN) with weights ``w`` (None: all 1)."""
    n = len(y)
    if n == 0:
        return _Moments(0, 0.0, math.nan, 0.0, 0.0, 0.0)
    if w is None:
        mean = float(y.sum()) / n
        d = y - mean
        return _Moments(n, float(n), mean, float(n), _dot(d, d), float(d.sum()))
    sw = float(w.sum())
    if not sw > 0:
        return _Moments(n, 0.0, math.nan, 0.0, 0.0, 0.0)
    mean = _dot(w, y) / sw
    d = y - mean
    w2 = w * w
    w2d = w2 * d
    return _Moments(n, sw, mean, float(w2.sum()), _dot(w2d, d), float(w2d.sum()))


def _combine(parts: Iterable[tuple[float, _Moments]]) -> _Moments:
    """Moments of the union of cells, respondent weights of cell k multiplied by fₖ
    (METHOD.md §4.1's region factor P_d/P · n/n_d, or 1)."""
    parts = list(parts)
    n = sum(m.n for _, m in parts)
    live = [(f, m) for f, m in parts if m.w > 0]
    if not live:
        return _Moments(n, 0.0, math.nan, 0.0, 0.0, 0.0)
    sw = sum(f * m.w for f, m in live)
    mean = sum(f * m.w * m.mean for f, m in live) / sw
    w2 = a = b = 0.0
    for f, m in live:
        f2, dm = f * f, m.mean - mean
        w2 += f2 * m.w2
        a += f2 * (m.a + 2 * dm * m.b + dm * dm * m.w2)
        b += f2 * (m.b + dm * m.w2)
    return _Moments(n, sw, mean, w2, a, b)


def _mean_estimate(m: _Moments) -> Estimate:
    """METHOD.md §4.2 from moments: ȳ, V = n/(n−1)·Σw²(y−ȳ)²/(Σw)², t interval with n−1
    degrees of freedom, Kish n_eff = (Σw)²/Σw² and deff = n/n_eff."""
    if m.n == 0 or not m.w > 0:
        return _empty_estimate(m.n)
    n_eff = m.w * m.w / m.w2
    est = Estimate(m.mean, None, None, None, m.n, n_eff, m.n / n_eff)
    if m.n >= 2:
        var = m.n / (m.n - 1) * max(m.a, 0.0) / (m.w * m.w)
        se = math.sqrt(var)
        half = _t_quantile(m.n - 1) * se
        est.se, est.low, est.high = se, m.mean - half, m.mean + half
    return est


def _share_estimate(m: _Moments) -> Estimate:
    """METHOD.md §4.3 from moments: p is the weighted mean of the flag, with §4.2's SE
    (which §4.4 uses) and Wilson's interval computed with n_eff in place of n."""
    est = _mean_estimate(m)
    if est.value is None or est.n_eff is None:
        return est
    p = min(1.0, max(0.0, est.value))
    est.value = p
    est.low, est.high = wilson_interval(p, est.n_eff)
    return est


def _drop_missing(y: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    ok = ~np.isnan(y)
    if ok.all():
        return y, w
    return y[ok], (None if w is None else w[ok])


def _mean_core(y: np.ndarray, w: np.ndarray | None) -> Estimate:
    """Unsuppressed weighted mean of the non-missing ``y``."""
    return _mean_estimate(_moments(*_drop_missing(y, w)))


def _share_core(flag: np.ndarray, w: np.ndarray | None) -> Estimate:
    """Unsuppressed weighted share of the non-missing 0/1 ``flag``."""
    return _share_estimate(_moments(*_drop_missing(flag, w)))


def weighted_mean(y: Any, w: Any = None, *, min_cell: int = DEFAULT_MIN_CELL) -> Estimate:
    """Weighted mean of ``y`` with a 95% t interval (METHOD.md §4.2), ignoring NaN values.

    ``w`` defaults to equal weights. With n=1 there is a value but no SE or interval;
    with fewer than ``min_cell`` respondents every number is None (§4.8).
    """
    y_arr = _float_array(y)
    w_arr = _weights_for(y_arr, w)
    if w_arr.size and not (np.isfinite(w_arr).all() and (w_arr >= 0).all()):
        raise ValueError(BAD_WEIGHTS)
    return _blank_below(_mean_core(y_arr, w_arr), min_cell)


def wilson_interval(p: float, n: float, level: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` from ``n`` (may be fractional)."""
    z = _z_quantile(level)
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # The interval always holds p and lies in [0, 1]; the clamps only absorb rounding
    # (at p = 0 the lower end is 0 analytically, not 5e-17).
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def weighted_share(flag: Any, w: Any = None, *, min_cell: int = DEFAULT_MIN_CELL) -> Estimate:
    """Weighted share of a 0/1 flag (NaN = missing) with a Wilson interval on n_eff
    (METHOD.md §4.3). Values are proportions 0–1; ``se`` is the §4.2 linearisation SE."""
    f = _float_array(flag)
    known = f[~np.isnan(f)]
    if known.size and not np.isin(known, (0.0, 1.0)).all():
        raise ValueError(NOT_BINARY)
    w_arr = _weights_for(f, w)
    if w_arr.size and not (np.isfinite(w_arr).all() and (w_arr >= 0).all()):
        raise ValueError(BAD_WEIGHTS)
    return _blank_below(_share_core(f, w_arr), min_cell)


def change(previous: Estimate, current: Estimate) -> Change:
    """Change between two waves (METHOD.md §4.4): d = ȳ₂ − ȳ₁, SE = √(V₁+V₂),
    significant when |d| > 1.96·SE, interval d ± 1.96·SE.

    Suppressed if either estimate is; all None (not suppressed) if either lacks a value
    or an SE.
    """
    if previous.suppressed or current.suppressed:
        out = Change(None, None, None, None, None)
        out.suppress()
        return out
    if None in (previous.value, current.value, previous.se, current.se):
        return Change(None, None, None, None, None)
    d = current.value - previous.value  # type: ignore[operator]
    se = math.sqrt(previous.se**2 + current.se**2)  # type: ignore[operator]
    half = CHANGE_Z * se
    return Change(d, se, d - half, d + half, bool(abs(d) > half))


# ---------------------------------------------------------------------------
# METHOD.md §4.1: raking
# ---------------------------------------------------------------------------


def _normalise_margin(shares: Mapping[Any, float] | None) -> dict[int, float]:
    """Margin keys as ints (JSON gives strings), shares as floats."""
    if not shares:
        return {}
    return {int(k): float(v) for k, v in shares.items() if v is not None}


def _collapse(values: np.ndarray, shares: Mapping[int, float], label: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Group the categories of one raking variable so that every group has both
    respondents and a population share (METHOD.md §4.1).

    ``values`` holds the category codes of the respondents being raked (no NaN). A
    category with respondents but no share, or a share but no respondents, is merged
    with its neighbour in code order: the one below, or the one above for the lowest.
    Returns each respondent's group index, the groups' target shares (summing to 1) and
    notes for the report (no counts in them: they may be small cells).
    """
    codes = values.astype(np.int64)
    observed, counts = np.unique(codes, return_counts=True)
    count_of = dict(zip(observed.tolist(), counts.tolist(), strict=True))
    cats = sorted(set(count_of) | {k for k, s in shares.items() if s > 0})
    groups = [[[c], shares.get(c, 0.0), count_of.get(c, 0)] for c in cats]
    notes: list[str] = []

    def bad(g: list) -> bool:
        return (g[2] > 0) != (g[1] > 0)

    while len(groups) > 1:
        i = next((j for j, g in enumerate(groups) if bad(g)), None)
        if i is None:
            break
        j = i - 1 if i > 0 else i + 1
        g, h = groups[i], groups[j]
        what = "respondents but no population share" if g[2] > 0 else "a population share but no respondents"
        notes.append(
            f"{label} {'+'.join(map(str, g[0]))} has {what}; collapsed with {label} {'+'.join(map(str, h[0]))}."
        )
        merged = [sorted(g[0] + h[0]), g[1] + h[1], g[2] + h[2]]
        lo = min(i, j)
        groups[lo : lo + 2] = [merged]

    lookup = {c: gi for gi, g in enumerate(groups) for c in g[0]}
    # Category codes are small integers, so a lookup table maps them in one step.
    lut = np.zeros(max(cats) - min(cats) + 1, dtype=np.int64)
    for c, gi in lookup.items():
        lut[c - min(cats)] = gi
    idx = lut[codes - min(cats)]
    target = np.array([g[1] for g in groups], dtype=float)
    total = target.sum()
    target = target / total if total > 0 else np.full(len(groups), 1 / len(groups))
    return idx, target, notes


def _ipf(
    w: np.ndarray, dims: Sequence[tuple[np.ndarray, np.ndarray]], tol: float, max_iter: int
) -> tuple[np.ndarray, bool, int]:
    """Iterative proportional fitting, dimension by dimension in the given order, until
    every weighted share is within ``tol`` of its target (METHOD.md §4.1 step 2)."""
    if not dims:
        return w, True, 0
    for it in range(1, max_iter + 1):
        for idx, target in dims:
            sums = np.bincount(idx, weights=w, minlength=len(target))
            w = w * (target * w.sum() / sums)[idx]
        total = w.sum()
        worst = max(float(np.abs(np.bincount(idx, weights=w, minlength=len(t)) / total - t).max()) for idx, t in dims)
        if worst <= tol:
            return w, True, it
    return w, False, max_iter


def rake(
    age: Any,
    sex: Any,
    margins: Mapping[str, Mapping[Any, float]] | None,
    *,
    tol: float = RAKE_TOL,
    max_iter: int = RAKE_MAX_ITER,
    bounds: tuple[float, float] = TRIM_BOUNDS,
    max_rounds: int = TRIM_MAX_ROUNDS,
) -> RakeResult:
    """Raking weights for the respondents of one district (METHOD.md §4.1).

    1. start from 1; 2. rake on age group then sex until every weighted share is within
    ``tol`` of its target (at most ``max_iter`` iterations); 3. clip weights outside
    ``bounds`` × mean weight and rake again, at most ``max_rounds`` rounds, after which
    the last raked weights are kept and the district flagged; respondents with a missing
    raking variable get the mean raked weight; 4. scale so Σw = n.

    ``margins`` maps "age_group"/"sex" to {code: population share}; a dimension that is
    absent is not raked, and without margins every weight is 1. Bounds are checked with
    a relative tolerance of ``tol``.
    """
    age_arr = _float_array(age)
    sex_arr = _float_array(sex)
    n = len(age_arr)
    if len(sex_arr) != n:
        raise ValueError(LENGTH_MISMATCH.format(n_y=n, n_w=len(sex_arr)))
    ones = np.ones(n)
    margins = margins or {}
    columns = {"age_group": age_arr, "sex": sex_arr}
    used = [(d, _normalise_margin(margins.get(d))) for d in RAKE_DIMENSIONS]
    used = [(d, m) for d, m in used if m]
    if not used:
        return RakeResult(ones, True, False, ["No population margins: weights are 1."])
    if n == 0:
        return RakeResult(ones, True, False, [])

    complete = np.ones(n, dtype=bool)
    for d, _ in used:
        complete &= ~np.isnan(columns[d])
    notes: list[str] = []
    n_c = int(complete.sum())
    if n_c == 0:
        return RakeResult(ones, True, False, ["No respondent gave age group and sex: weights are 1."])
    if n_c < n:
        notes.append("Respondents without age group or sex get the mean raked weight.")

    dims = []
    for d, shares in used:
        idx, target, dim_notes = _collapse(columns[d][complete], shares, d.replace("_", " "))
        notes.extend(dim_notes)
        if len(target) > 1:
            dims.append((idx, target))

    lo_f, hi_f = bounds
    w = np.ones(n_c)
    converged, flagged, iterations, rounds = True, False, 0, 0
    for rounds in range(1, max_rounds + 1):
        w, converged, it = _ipf(w, dims, tol, max_iter)
        iterations += it
        mean = w.mean()
        lo, hi = lo_f * mean, hi_f * mean
        if (w >= lo * (1 - tol)).all() and (w <= hi * (1 + tol)).all():
            break
        if rounds == max_rounds:
            flagged = True
            notes.append(
                f"Weights still outside {lo_f}–{hi_f} × mean after {max_rounds} trimming "
                "rounds: kept the last raked weights."
            )
            break
        # METHOD.md §4.1 step 3: clip to the bounds, then rake again.
        w = np.clip(w, lo, hi)
    if not converged:
        flagged = True
        notes.append(f"Raking did not reach every margin within {tol:g} in {max_iter} iterations.")

    full = np.empty(n)
    full[complete] = w
    full[~complete] = w.mean()
    full *= n / full.sum()  # METHOD.md §4.1 step 4: Σw = n_d
    return RakeResult(full, converged, flagged, notes, iterations, rounds)


def _district_margins(population: Mapping[str, Any], district: str) -> Mapping | None:
    entry = population.get(district) or {}
    return entry.get("margins")


def _adult_population(population: Mapping[str, Any], district: str) -> float:
    entry = population.get(district) or {}
    p = entry.get("adult_population")
    if p is None or not (float(p) > 0):
        raise ValueError(MISSING_POPULATION.format(district=district))
    return float(p)


def rake_districts(
    frame: pd.DataFrame, population: Mapping[str, Any]
) -> tuple[pd.Series, dict[tuple[str, str], RakeResult]]:
    """Rake every (wave, district) of ``frame`` separately (METHOD.md §4.1).

    Returns the weights (a Series on ``frame.index``) and each group's RakeResult.
    """
    weights = np.ones(len(frame))
    results: dict[tuple[str, str], RakeResult] = {}
    age = _float_array(frame["age_group"])
    sex = _float_array(frame["sex"])
    for key, pos in frame.groupby(["wave", "district"], sort=True).indices.items():
        wave, district = key
        res = rake(age[pos], sex[pos], _district_margins(population, district))
        weights[pos] = res.weights
        results[(wave, district)] = res
    return pd.Series(weights, index=frame.index, name="weight"), results


def district_weights(frame: pd.DataFrame, population: Mapping[str, Any]) -> pd.Series:
    """Raking weights per row, raked within each district and wave (METHOD.md §4.1)."""
    return rake_districts(frame, population)[0]


def region_weights(frame: pd.DataFrame, population: Mapping[str, Any], district_w: pd.Series | np.ndarray) -> pd.Series:
    """Region weights wᵢ · (P_d/P) · (n/n_d) within each wave (METHOD.md §4.1), P and n
    taken over the districts present in that wave, so each district counts by its adult
    population. Raises ValueError if a present district has no adult population."""
    dw = _float_array(district_w)
    wave_codes, _ = pd.factorize(frame["wave"])
    dist_codes, dist_names = pd.factorize(frame["district"])
    if (wave_codes < 0).any() or (dist_codes < 0).any():
        raise ValueError(MISSING_DISTRICT.format(wave="any"))
    pop = np.array([_adult_population(population, d) for d in dist_names])
    n_w = np.bincount(wave_codes)
    pair = wave_codes * len(dist_names) + dist_codes
    n_wd = np.bincount(pair, minlength=len(n_w) * len(dist_names)).reshape(len(n_w), -1)
    present = n_wd > 0
    p_w = (present * pop[None, :]).sum(axis=1)
    factor = (pop[None, :] / p_w[:, None]) * (n_w[:, None] / np.where(present, n_wd, 1))
    return pd.Series(dw * factor[wave_codes, dist_codes], index=frame.index, name="weight")


# ---------------------------------------------------------------------------
# METHOD.md §4.5–4.7: drivers, victimisation, places (array cores + frame wrappers)
# ---------------------------------------------------------------------------

Getter = Callable[[str], np.ndarray]


def item_columns(columns: Iterable[str]) -> list[str]:
    """The key-driver item columns (``item:<code>``), in frame order."""
    return [c for c in columns if c.startswith(ITEM_PREFIX)]


def victim_columns(columns: Iterable[str]) -> list[str]:
    """The victimisation columns (``vic:<type>``, not the ``_reported`` ones)."""
    return [c for c in columns if c.startswith(VIC_PREFIX) and not c.endswith(REPORTED_SUFFIX)]


@dataclass(slots=True)
class _CoMoments:
    """Sufficient statistics of a weighted correlation over one cell, centred like
    ``_Moments`` so that cells combine exactly."""

    n: int
    w: float  # Σw
    mx: float
    my: float
    sxx: float  # Σw(x − mx)²
    syy: float
    sxy: float  # Σw(x − mx)(y − my)


def _co_moments(x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> _CoMoments:
    """Co-moments of paired values (no NaN) with weights ``w`` (None: all 1)."""
    n = len(x)
    sw = float(n) if w is None else float(w.sum())
    if n == 0 or not sw > 0:
        return _CoMoments(n, 0.0, math.nan, math.nan, 0.0, 0.0, 0.0)
    if w is None:
        mx, my = float(x.sum()) / n, float(y.sum()) / n
        dx, dy = x - mx, y - my
        return _CoMoments(n, sw, mx, my, _dot(dx, dx), _dot(dy, dy), _dot(dx, dy))
    mx, my = _dot(w, x) / sw, _dot(w, y) / sw
    dx, dy = x - mx, y - my
    wdx = w * dx
    return _CoMoments(n, sw, mx, my, _dot(wdx, dx), _dot(w * dy, dy), _dot(wdx, dy))


def _combine_co(parts: Iterable[tuple[float, _CoMoments]]) -> _CoMoments:
    parts = list(parts)
    n = sum(c.n for _, c in parts)
    live = [(f, c) for f, c in parts if c.w > 0]
    if not live:
        return _CoMoments(n, 0.0, math.nan, math.nan, 0.0, 0.0, 0.0)
    sw = sum(f * c.w for f, c in live)
    mx = sum(f * c.w * c.mx for f, c in live) / sw
    my = sum(f * c.w * c.my for f, c in live) / sw
    sxx = syy = sxy = 0.0
    for f, c in live:
        ex, ey = c.mx - mx, c.my - my
        sxx += f * (c.sxx + c.w * ex * ex)
        syy += f * (c.syy + c.w * ey * ey)
        sxy += f * (c.sxy + c.w * ex * ey)
    return _CoMoments(n, sw, mx, my, sxx, syy, sxy)


def _correlation(c: _CoMoments) -> Correlation:
    """METHOD.md §4.5: weighted Pearson r = Σw dx dy / √(Σw dx² · Σw dy²); None when
    either variable does not vary (a variance below 1e-12 of its scale is rounding)."""
    if c.n < 2 or not c.w > 0:
        return Correlation(None, c.n)
    if c.sxx <= 1e-12 * c.w * max(1.0, c.mx * c.mx) or c.syy <= 1e-12 * c.w * max(1.0, c.my * c.my):
        return Correlation(None, c.n)
    r = c.sxy / math.sqrt(c.sxx * c.syy)
    return Correlation(min(1.0, max(-1.0, r)), c.n)


def _weighted_corr(x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> Correlation:
    ok = ~(np.isnan(x) | np.isnan(y))
    if not ok.all():
        x, y, w = x[ok], y[ok], (None if w is None else w[ok])
    return _correlation(_co_moments(x, y, w))


def _unfavourable_flag(x: np.ndarray, cut: float) -> np.ndarray:
    # The small slack absorbs rounding of 100·(x−1)/(k−1) (METHOD.md §3.1).
    return np.where(np.isnan(x), np.nan, (x <= cut + 1e-9).astype(float))


def _drivers_raw(
    get: Getter, items: Sequence[str], w: np.ndarray, cut: float
) -> dict[str, tuple[Correlation, Estimate]]:
    feeling = get(INDEX)
    out = {}
    for col in items:
        x = get(col)
        out[col[len(ITEM_PREFIX) :]] = (
            _weighted_corr(x, feeling, w),
            _share_core(_unfavourable_flag(x, cut), w),
        )
    return out


def _assemble_drivers(raw: Mapping[str, tuple[Correlation, Estimate]]) -> list[Driver]:
    """Drivers ranked by correlation (None last), priorities by medians over the items
    that are shown (METHOD.md §4.5: above-median correlation and unfavourable share)."""
    shown = [(c.value, u.value) for c, u in raw.values() if c.value is not None and u.value is not None]
    med_r = float(np.median([r for r, _ in shown])) if shown else math.nan
    med_u = float(np.median([u for _, u in shown])) if shown else math.nan
    drivers = [
        Driver(
            item=item,
            correlation=c.value,
            n=c.n,
            unfavourable_share=u,
            priority=bool(c.value is not None and u.value is not None and c.value > med_r and u.value > med_u),
            suppressed=c.suppressed,
        )
        for item, (c, u) in raw.items()
    ]
    drivers.sort(key=lambda d: (d.correlation is None, -(d.correlation or 0.0)))
    return drivers


def _frame_getter(frame: pd.DataFrame) -> Getter:
    return lambda col: _float_array(frame[col])


def key_drivers(
    frame: pd.DataFrame,
    weights: Any = None,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    unfavourable_max: float = UNFAVOURABLE_MAX,
) -> list[Driver]:
    """Key drivers of the perceived-safety index (METHOD.md §4.5).

    For every ``item:<code>`` column: the weighted Pearson correlation of the item score
    with ``feeling`` over respondents with both, and the weighted share scoring at most
    ``unfavourable_max`` (the bottom two points of a 5-point scale) among those who
    answered the item. Ranked by correlation, descending. A correlation on fewer than
    ``min_cell`` respondents is suppressed, and so is a share on fewer.
    """
    w = _weights_for(np.empty(len(frame)), weights)
    raw = _drivers_raw(_frame_getter(frame), item_columns(frame.columns), w, unfavourable_max)
    for c, u in raw.values():
        _blank_below(u, min_cell)
        if c.n is not None and c.n < min_cell:
            c.suppress()
    return _assemble_drivers(raw)


def _victimisation_raw(get: Getter, types: Sequence[str], w: np.ndarray, has: Callable[[str], bool]):
    out = {}
    for col in types:
        v = get(col)
        share = _share_core(v, w)
        reported = None
        rep_col = col + REPORTED_SUFFIX
        if has(rep_col):
            r = get(rep_col)
            # Among victims only (the follow-up is shown only after "yes").
            r = np.where(v == 1.0, r, np.nan)
            reported = _share_core(r, w)
        out[col[len(VIC_PREFIX) :]] = (share, reported)
    return out


def victimisation(frame: pd.DataFrame, weights: Any = None, *, min_cell: int = DEFAULT_MIN_CELL) -> list[Victimisation]:
    """Victimisation rates (METHOD.md §4.6): for every ``vic:<type>`` column the weighted
    share answering yes (Wilson interval, §4.3) and, among victims, the weighted share who
    reported it to the police."""
    w = _weights_for(np.empty(len(frame)), weights)
    cols = set(frame.columns)
    raw = _victimisation_raw(_frame_getter(frame), victim_columns(frame.columns), w, cols.__contains__)
    out = []
    for t, (share, reported) in raw.items():
        _blank_below(share, min_cell)
        if reported is not None:
            _blank_below(reported, min_cell)
        out.append(Victimisation(t, share, reported))
    return out


def _place_counts(types: np.ndarray, route_codes: np.ndarray, route_labels: Sequence[str]):
    """Raw counts {type code: n} and {route: n} (zeros left out)."""
    t = types[~np.isnan(types)].astype(np.int64)
    tc = {}
    if t.size:
        vals, cnt = np.unique(t, return_counts=True)
        tc = {int(v): int(c) for v, c in zip(vals, cnt, strict=True)}
    r = route_codes[route_codes >= 0]
    rc = {}
    if r.size:
        cnt = np.bincount(r, minlength=len(route_labels))
        rc = {route_labels[i]: int(cnt[i]) for i in np.flatnonzero(cnt)}
    return tc, rc


def _top(counts: Mapping[Any, Count], top: int) -> tuple[list[PlaceCount], bool]:
    """The ``top`` largest shown counts, and whether any count was suppressed."""
    shown = sorted(((k, c.n) for k, c in counts.items() if not c.suppressed), key=lambda kc: (-kc[1], str(kc[0])))
    return [PlaceCount(k, n) for k, n in shown[:top]], any(c.suppressed for c in counts.values())


def _places_of(types: Mapping[int, Count], routes: Mapping[str, Count], total: Count, top: int) -> Places:
    type_rows, types_hidden = _top(types, top)
    route_rows, routes_hidden = _top(routes, top)
    return Places(total.n, type_rows, route_rows, total.suppressed, types_hidden, routes_hidden)


def complementary_suppression(
    counts: Mapping[Hashable, int], min_cell: int, hidden: Iterable[Hashable] = ()
) -> set[Hashable]:
    """The cells of one breakdown to suppress when its total is shown (METHOD.md §4.8).

    Cells with fewer than ``min_cell`` respondents are suppressed (primary). If then
    exactly one hidden cell has respondents, it could be derived from the total, so the
    next smallest cell with respondents is suppressed too. ``hidden`` are cells already
    suppressed for another reason. Empty cells reveal nothing and do not trigger it.
    """
    out = {k for k, n in counts.items() if n < min_cell} | (set(hidden) & set(counts))
    at_risk = [k for k in out if counts[k] > 0]
    if len(at_risk) == 1:
        rest = [k for k, n in counts.items() if k not in out and n > 0]
        if rest:
            out.add(min(rest, key=lambda k: (counts[k], str(k))))
    return out


def places(frame: pd.DataFrame, top: int = 10, *, min_cell: int = DEFAULT_MIN_CELL) -> Places:
    """Counts of ``unsafe_place_type`` and of ``unsafe_bus_route`` (METHOD.md §4.7),
    unweighted, largest first, at most ``top`` of each; counts under ``min_cell`` are
    suppressed, with complementary suppression of the types (their total is shown)."""
    types = _float_array(frame["unsafe_place_type"])
    route_codes, route_labels = pd.factorize(frame["unsafe_bus_route"])
    tc, rc = _place_counts(types, route_codes, list(route_labels))
    type_counts = {k: Count(v) for k, v in tc.items()}
    route_counts = {k: Count(v) for k, v in rc.items()}
    for k in complementary_suppression(tc, min_cell):
        type_counts[k].suppress()
    for k, c in route_counts.items():
        if rc[k] < min_cell:
            c.suppress()
    total = Count(int(sum(tc.values())))
    if total.n < min_cell:
        total.suppress()
    return _places_of(type_counts, route_counts, total, top)


# ---------------------------------------------------------------------------
# Whole products: wave_figures and trend
# ---------------------------------------------------------------------------


class _Columns:
    """Whole-frame columns as numpy arrays, converted once and shared by every unit."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.names = set(frame.columns)
        self._float: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, list]] = {}

    def floats(self, col: str) -> np.ndarray:
        if col not in self._float:
            s = self.frame[col]
            self._float[col] = s.to_numpy() if s.dtype == np.float64 else _float_array(s)
        return self._float[col]

    def codes(self, col: str) -> tuple[np.ndarray, list]:
        if col not in self._codes:
            codes, uniques = pd.factorize(self.frame[col], sort=True)
            self._codes[col] = (codes, [str(u) for u in uniques])
        return self._codes[col]


@dataclass
class _Unit:
    """Raw (unsuppressed) figures of one district or of the region, keyed by flat paths
    like "weighted/index" so that suppression can work across units and breakdowns."""

    code: str
    figs: dict[str, Any]
    rake: dict[str, Any] | None
    driver_items: list[str]
    vic_types: list[str]


def _as_index(pos: np.ndarray) -> np.ndarray | slice:
    """Positions as a slice when they are one contiguous run, so that a district of a
    frame ordered by district is read as views of the columns, not gathered."""
    if len(pos) and pos[-1] - pos[0] + 1 == len(pos):
        return slice(int(pos[0]), int(pos[-1]) + 1)
    return pos


def _wave_positions(cols: _Columns, wave: str) -> dict[str, np.ndarray]:
    """Row positions of ``wave`` per district, in frame order within each district."""
    wave_codes, waves = cols.codes("wave")
    if str(wave) not in waves:
        return {}
    pos = np.flatnonzero(wave_codes == waves.index(str(wave)))
    dist_codes, districts = cols.codes("district")
    d = dist_codes[pos]
    if (d < 0).any():
        raise ValueError(MISSING_DISTRICT.format(wave=str(wave)))
    order = np.argsort(d, kind="stable")
    grouped, d = pos[order], d[order]
    cuts = np.flatnonzero(np.diff(d)) + 1
    parts = np.split(grouped, cuts)
    starts = np.concatenate([[0], cuts]) if len(d) else np.empty(0, dtype=np.int64)
    return {districts[d[s]]: part for s, part in zip(starts, parts, strict=False) if len(part)}


def _cell_figures(
    cols: _Columns,
    index: np.ndarray | slice,
    n: int,
    blocks: Mapping[str, np.ndarray | None],
    *,
    full: bool,
    cut: float = UNFAVOURABLE_MAX,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Sufficient statistics of every figure of one district (its ``n`` rows at
    ``index``), per weighting in ``blocks`` (name -> weights of the rows, None = all 1).

    Returns {figure key: _Moments | _CoMoments | int} and {figure key: kind}, where kind
    is "mean", "share", "corr", "design" or "count". Columns are read once per district
    and shared by the weightings.
    """
    cache: dict[str, np.ndarray] = {}

    def get(col: str) -> np.ndarray:
        if col not in cache:
            cache[col] = cols.floats(col)[index]
        return cache[col]

    stats: dict[str, Any] = {"n": n}
    kind: dict[str, str] = {"n": "count"}

    def add(key: str, what: str, y: np.ndarray, mask: np.ndarray | None = None) -> None:
        ok = ~np.isnan(y)
        if mask is not None:
            ok &= mask
        every = bool(ok.all())
        y_ok = y if every else y[ok]
        for block, w in blocks.items():
            w_ok = w if (w is None or every) else w[ok]
            stats[f"{block}/{key}"] = _moments(y_ok, w_ok)
            kind[f"{block}/{key}"] = what

    for block, w in blocks.items():
        # METHOD.md §4.2: Kish n_eff and deff of the district as a whole.
        stats[f"{block}/design"] = _moments(np.zeros(n), w)
        kind[f"{block}/design"] = "design"
    for score in SCORES if full else (INDEX,):
        add(score, "mean", get(score))
    add("sdg", "share", get(SDG))
    if not full:
        return stats, kind

    ch_codes, ch_names = cols.codes("channel")
    ch_local = ch_codes[index]
    for c in dict.fromkeys([*CHANNELS, *ch_names]):
        mask = ch_local == (ch_names.index(c) if c in ch_names else -2)
        stats[f"channel/{c}/n"], kind[f"channel/{c}/n"] = int(mask.sum()), "count"
        add(f"channel/{c}/index", "mean", get(INDEX), mask)
        add(f"channel/{c}/sdg", "share", get(SDG), mask)

    feeling = get(INDEX)
    for col in item_columns(cols.frame.columns):
        item = col[len(ITEM_PREFIX) :]
        x = get(col)
        ok = ~(np.isnan(x) | np.isnan(feeling))
        every = bool(ok.all())
        x_ok, f_ok = (x, feeling) if every else (x[ok], feeling[ok])
        for block, w in blocks.items():
            w_ok = w if (w is None or every) else w[ok]
            stats[f"{block}/driver/{item}/correlation"] = _co_moments(x_ok, f_ok, w_ok)
            kind[f"{block}/driver/{item}/correlation"] = "corr"
        add(f"driver/{item}/unfavourable", "share", _unfavourable_flag(x, cut))

    for col in victim_columns(cols.frame.columns):
        t = col[len(VIC_PREFIX) :]
        v = get(col)
        add(f"vic/{t}/share", "share", v)
        if col + REPORTED_SUFFIX in cols.names:
            add(f"vic/{t}/reported", "share", get(col + REPORTED_SUFFIX), v == 1.0)

    route_codes, route_labels = cols.codes("unsafe_bus_route")
    types, routes = _place_counts(get("unsafe_place_type"), route_codes[index], route_labels)
    stats["places/types_total"] = sum(types.values())
    for k, v in types.items():
        stats[f"places/type/{k}"] = v
    for k, v in routes.items():
        stats[f"places/route/{k}"] = v
    kind.update({k: "count" for k in stats if k.startswith("places/")})
    return stats, kind


def _finish(kind: str, stat: Any) -> Any:
    """A figure from its statistics (unsuppressed)."""
    if kind == "count":
        return Count(int(stat))
    if kind == "mean":
        return _mean_estimate(stat)
    if kind == "share":
        return _share_estimate(stat)
    if kind == "corr":
        return _correlation(stat)
    # "design": the unit's own n_eff and deff, over all its respondents
    n_eff = stat.w * stat.w / stat.w2 if stat.w2 > 0 else None
    return Estimate(None, None, None, None, stat.n, n_eff, (stat.n / n_eff) if n_eff else None)


def _unit_from(code: str, stats: Mapping[str, Any], kind: Mapping[str, str], cols: _Columns, full: bool) -> _Unit:
    items = [c[len(ITEM_PREFIX) :] for c in item_columns(cols.frame.columns)] if full else []
    vic = [c[len(VIC_PREFIX) :] for c in victim_columns(cols.frame.columns)] if full else []
    return _Unit(code, {k: _finish(kind[k], v) for k, v in stats.items()}, None, items, vic)


def _region_stats(
    parts: Sequence[tuple[Mapping[str, float], Mapping[str, Any]]], kind: Mapping[str, str]
) -> dict[str, Any]:
    """Combine districts' statistics into the region's. ``parts`` holds, per district,
    its factor per weighting ({"weighted": P_d/P · n/n_d, "unweighted": 1}) and stats."""
    keys = list(dict.fromkeys(k for _, stats in parts for k in stats))
    out: dict[str, Any] = {}
    for key in keys:
        block = key.split("/", 1)[0]
        cells = [(factors.get(block, 1.0), stats[key]) for factors, stats in parts if key in stats]
        what = kind[key]
        if what == "count":
            out[key] = sum(v for _, v in cells)
        elif what == "corr":
            out[key] = _combine_co(cells)
        else:
            out[key] = _combine(cells)
    return out


def _raw_n(fig: Any) -> int:
    return int(fig.n) if fig.n is not None else 0


def _suppress_units(region: _Unit, districts: Sequence[_Unit], min_cell: int) -> None:
    """Primary and complementary suppression (METHOD.md §4.8), in place.

    Breakdowns whose total is shown: the districts of the region (every figure, by key),
    the channels of a unit (their n, index and sdg) and the place types of a unit. The
    rule is applied to a fixed point, so a cell hidden by one breakdown protects the
    others it belongs to.
    """
    units = [region, *districts]
    raw = {(u.code, k): _raw_n(f) for u in units for k, f in u.figs.items()}
    hidden = {cell for cell, n in raw.items() if n < min_cell}

    groups: list[list[tuple[str, str]]] = []
    keys = {k for u in districts for k in u.figs}
    for k in keys:
        groups.append([(u.code, k) for u in districts if k in u.figs])
    for u in units:
        by_parent: dict[str, list[tuple[str, str]]] = {}
        for k in u.figs:
            parts = k.split("/")
            if not k.startswith("places/") and "channel" in parts[:2]:
                i = parts.index("channel")
                parent = "/".join(parts[:i] + ["*"] + parts[i + 2 :])
            elif k.startswith("places/type/"):
                parent = "places/type/*"
            else:
                continue
            by_parent.setdefault(parent, []).append((u.code, k))
        groups.extend(by_parent.values())

    changed = True
    while changed:
        changed = False
        for cells in groups:
            counts = {c: raw[c] for c in cells}
            new = complementary_suppression(counts, min_cell, hidden & set(cells))
            if not new <= hidden:
                hidden |= new
                changed = True
    for u in units:
        for k, f in u.figs.items():
            if (u.code, k) in hidden:
                f.suppress()


def _block_dict(u: _Unit, block: str, prev: _Unit | None, full: bool) -> dict[str, Any]:
    f = u.figs
    design = f[f"{block}/design"]
    out: dict[str, Any] = {
        "n_eff": _opt(design.n_eff) if design.n_eff is not None else None,
        "deff": _opt(design.deff) if design.deff is not None else None,
        "index": f[f"{block}/{INDEX}"].to_dict(),
    }
    if full:
        for s in SCORES[1:]:
            out[s] = f[f"{block}/{s}"].to_dict()
    out["sdg"] = f[f"{block}/sdg"].to_dict()
    if prev is not None:
        p = prev.figs
        out["change"] = {
            "index": change(p[f"{block}/{INDEX}"], f[f"{block}/{INDEX}"]).to_dict()
            if f"{block}/{INDEX}" in p
            else None,
            "sdg": change(p[f"{block}/sdg"], f[f"{block}/sdg"]).to_dict() if f"{block}/sdg" in p else None,
        }
    if not full:
        return out
    channels = [k.split("/")[1] for k in f if k.startswith("channel/") and k.endswith("/n")]
    out["by_channel"] = {
        c: {
            "n": f[f"channel/{c}/n"].n,
            "suppressed": f[f"channel/{c}/n"].suppressed,
            "index": f[f"{block}/channel/{c}/index"].to_dict(),
            "sdg": f[f"{block}/channel/{c}/sdg"].to_dict(),
        }
        for c in channels
    }
    raw_drivers = {
        i: (f[f"{block}/driver/{i}/correlation"], f[f"{block}/driver/{i}/unfavourable"]) for i in u.driver_items
    }
    out["drivers"] = [d.to_dict() for d in _assemble_drivers(raw_drivers)]
    out["victimisation"] = [
        Victimisation(t, f[f"{block}/vic/{t}/share"], f.get(f"{block}/vic/{t}/reported")).to_dict() for t in u.vic_types
    ]
    return out


def _unit_dict(u: _Unit, blocks: Sequence[str], prev: _Unit | None, full: bool, top: int) -> dict[str, Any]:
    n = u.figs["n"]
    out: dict[str, Any] = {"code": u.code, "n": n.n, "suppressed": n.suppressed, "rake": u.rake}
    for b in blocks:
        out[b] = _block_dict(u, b, prev, full)
    if full:
        f = u.figs
        types = {int(k.rsplit("/", 1)[1]): c for k, c in f.items() if k.startswith("places/type/")}
        routes = {k.split("/", 2)[2]: c for k, c in f.items() if k.startswith("places/route/")}
        total = f["places/types_total"]
        out["places"] = _places_of(types, routes, total, top).to_dict()
    return out


def _check_columns(frame: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(MISSING_COLUMNS.format(columns=", ".join(missing)))


def _rake_summary(res: RakeResult) -> dict[str, Any]:
    # No counts here: a district's output must carry no number when it is suppressed.
    return {"converged": bool(res.converged), "flagged": bool(res.flagged), "notes": list(res.notes)}


def _compute_wave(
    cols: _Columns,
    population: Mapping[str, Any],
    wave: str,
    *,
    weighted: bool,
    full: bool,
    min_cell: int,
) -> tuple[_Unit, dict[str, _Unit]]:
    """Figures of the region and of every district of ``wave``, suppressed (§4.8)."""
    by_district = _wave_positions(cols, wave)
    codes = sorted(set(by_district) | set(population))
    empty = np.empty(0, dtype=np.int64)
    age, sex = cols.floats("age_group"), cols.floats("sex")
    present = list(by_district)
    n_total = sum(len(p) for p in by_district.values())
    if weighted:
        pops = {d: _adult_population(population, d) for d in present}
        p_total = sum(pops.values())

    districts: dict[str, _Unit] = {}
    rakes: dict[str, RakeResult] = {}
    parts = []
    kinds: dict[str, str] = {}
    for d in codes:
        pos = by_district.get(d, empty)
        index = _as_index(pos)
        blocks: dict[str, np.ndarray | None] = {"unweighted": None}
        factors = {"unweighted": 1.0}
        if weighted:
            rakes[d] = rake(age[index], sex[index], _district_margins(population, d))
            blocks = {"weighted": rakes[d].weights, **blocks}
            if len(pos):
                # METHOD.md §4.1: region weight wᵢ · (P_d/P) · (n/n_d), over the
                # districts present; the factor is constant within a district.
                factors["weighted"] = (pops[d] / p_total) * (n_total / len(pos))
        stats, kind = _cell_figures(cols, index, len(pos), blocks, full=full)
        kinds.update(kind)
        if len(pos):
            parts.append((factors, stats))
        unit = _unit_from(d, stats, kind, cols, full)
        unit.rake = _rake_summary(rakes[d]) if weighted else None
        districts[d] = unit

    if parts:
        region = _unit_from(REGION, _region_stats(parts, kinds), kinds, cols, full)
    else:
        stats, kind = _cell_figures(
            cols,
            empty,
            0,
            {"weighted": np.empty(0), "unweighted": None} if weighted else {"unweighted": None},
            full=full,
        )
        region = _unit_from(REGION, stats, kind, cols, full)
    if weighted:
        flagged = [d for d in present if rakes[d].flagged]
        region.rake = {
            "flagged": bool(flagged),
            "flagged_districts": flagged,
            "notes": [f"{d}: {note}" for d in present for note in rakes[d].notes],
        }
    _suppress_units(region, list(districts.values()), min_cell)
    return region, districts


def wave_figures(
    frame: pd.DataFrame,
    population: Mapping[str, Any],
    wave: str,
    previous_wave: str | None = None,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    weighted: bool = True,
    top: int = 10,
) -> dict[str, Any]:
    """Every figure of one wave for the region and each district (METHOD.md §4), as
    plain JSON-ready dicts.

    ``frame`` has one row per committed response with the columns ``wave``, ``district``,
    ``channel``, ``age_group``, ``sex``, the scores ``feeling`` (the index),
    ``environment``, ``police``, ``overall`` (0–100, NaN missing), ``sdg_safe`` (1/0/NaN),
    ``item:<code>`` scores, ``vic:<type>`` and ``vic:<type>_reported`` flags,
    ``unsafe_place_type`` and ``unsafe_bus_route``. It may hold other waves: only
    ``wave`` and ``previous_wave`` are read.

    ``population`` maps district codes to {"adult_population": int, "margins": {...}}.
    Districts in ``population`` without responses appear, suppressed. With
    ``weighted=False`` only unweighted figures are produced and population is optional.

    Shape (every number may be None; ``suppressed`` says it is hidden by §4.8)::

        {"wave", "previous_wave", "min_cell", "primary": "weighted"|"unweighted",
         "blocks": [...], "region": Unit, "districts": {code: Unit}}
        Unit = {"code", "n", "suppressed",
                "rake": {"converged", "flagged", "notes"} (district) or
                        {"flagged", "flagged_districts", "notes"} (region) or None,
                "weighted": Block (unless weighted=False), "unweighted": Block,
                "places": Places.to_dict()}
        Block = {"n_eff", "deff", "index", "environment", "police", "overall", "sdg",
                 "change": {"index": Change, "sdg": Change}  (only with previous_wave),
                 "by_channel": {"online"|"paper": {"n", "suppressed", "index", "sdg"}},
                 "drivers": [Driver.to_dict()], "victimisation": [Victimisation.to_dict()]}

    Estimates are ``Estimate.to_dict()``: {"value", "se", "low", "high", "n", "n_eff",
    "deff", "suppressed"}; scores are 0–100, shares proportions 0–1.
    """
    _check_columns(frame)
    cols = _Columns(frame)
    blocks = ["weighted", "unweighted"] if weighted else ["unweighted"]
    region, districts = _compute_wave(cols, population, wave, weighted=weighted, full=True, min_cell=min_cell)
    prev_region, prev_districts = None, {}
    if previous_wave is not None:
        prev_region, prev_districts = _compute_wave(
            cols, population, previous_wave, weighted=weighted, full=False, min_cell=min_cell
        )
    return {
        "wave": str(wave),
        "previous_wave": None if previous_wave is None else str(previous_wave),
        "min_cell": int(min_cell),
        "primary": blocks[0],
        "blocks": blocks,
        "region": _unit_dict(region, blocks, prev_region, True, top),
        "districts": {
            d: _unit_dict(u, blocks, prev_districts.get(d) if previous_wave is not None else None, True, top)
            for d, u in districts.items()
        },
    }


def trend(
    frame: pd.DataFrame,
    population: Mapping[str, Any],
    waves: Sequence[str],
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    weighted: bool = True,
) -> dict[str, Any]:
    """The index and the SDG share of every wave, with intervals, for the region and each
    district (METHOD.md §4.4 "Trends show every wave with its interval").

    Shape: {"waves": [...], "primary", "region": [Point], "districts": {code: [Point]}},
    one Point per wave in the order given: {"wave", "n", "suppressed", "index", "sdg"}
    (Estimates of the primary weighting).
    """
    _check_columns(frame)
    cols = _Columns(frame)
    block = "weighted" if weighted else "unweighted"
    region_points: list[dict[str, Any]] = []
    district_points: dict[str, list[dict[str, Any]]] = {}
    per_wave = [_compute_wave(cols, population, w, weighted=weighted, full=False, min_cell=min_cell) for w in waves]
    codes = sorted({d for _, ds in per_wave for d in ds})

    def point(wave: str, u: _Unit | None) -> dict[str, Any]:
        if u is None:
            stats, kind = _cell_figures(cols, np.empty(0, dtype=np.int64), 0, {block: None}, full=False)
            u = _unit_from("", stats, kind, cols, False)
            for f in u.figs.values():
                f.suppress()
        n = u.figs["n"]
        return {
            "wave": str(wave),
            "n": n.n,
            "suppressed": n.suppressed,
            "index": u.figs[f"{block}/{INDEX}"].to_dict(),
            "sdg": u.figs[f"{block}/sdg"].to_dict(),
        }

    for w, (region, districts) in zip(waves, per_wave, strict=True):
        region_points.append(point(w, region))
        for d in codes:
            district_points.setdefault(d, []).append(point(w, districts.get(d)))
    return {
        "waves": [str(w) for w in waves],
        "primary": block,
        "region": region_points,
        "districts": district_points,
    }
