"""Put N synthetic responses into a PostgreSQL database of their own, fast.

    /work/main/.venv/bin/python bench/seed.py --responses 1000000 --database bench_reports
    /work/main/.venv/bin/python bench/seed.py --responses 100000 --database bench_reports_100k

Creates the database if needed, migrates it, loads the shipped checklist and the
Karaganda districts, makes three waves (2019, 2021, 2023), then draws every answer with
numpy, computes the scores of METHOD.md §3 vectorised (checked against
checklist.scoring.respondent_scores on a sample), COPYs the answers as plain columns into
an unlogged staging table and lets PostgreSQL build each answers JSON object in one
INSERT ... SELECT. No ORM saves: a million responses take about a minute here.

The answers follow METHOD.md §5's demo parameters: the share feeling safe after dark from
about 45% (the two Karaganda city districts and Temirtau) to 80% (rural districts), a
gentle improvement over the three waves, fraud the highest worry, transport thefts
concentrated on four bus routes in Karaganda and Temirtau, online respondents younger.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WAVES = (("2019", "Baseline 2019", "2019-03-01"), ("2021", "Round 2, 2021", "2021-03-01"),
         ("2023", "Round 3, 2023", "2023-03-01"))  # fmt: skip
# Share feeling safe after dark in the first wave (METHOD.md §5), by district.
SAFE_AFTER_DARK = {
    "KRG-KZB": 0.46, "KRG-ALB": 0.48, "KRG-TEM": 0.45, "KRG-BAL": 0.58, "KRG-SAR": 0.60,
    "KRG-SHA": 0.57, "KRG-PRI": 0.70, "KRG-ABA": 0.66, "KRG-AKT": 0.78, "KRG-BZH": 0.72,
    "KRG-KKR": 0.77, "KRG-NUR": 0.75, "KRG-OSA": 0.74, "KRG-SHE": 0.76,
}  # fmt: skip
WAVE_GAIN = (0.0, 0.04, 0.08)  # the share improves by about 4 points a round
HOT_ROUTES = {"KRG-KZB": ["12A", "31", "45", "7"], "KRG-ALB": ["12A", "31", "102"], "KRG-TEM": ["2", "15", "24", "7"]}
OTHER_ROUTES = np.array(["1", "3", "5", "9", "11", "14", "18", "22", "27", "33", "40", "52", "60", "101"])
# How strongly each driver item follows the latent feeling of safety (METHOD.md §4.5 has
# something to find): lighting, disorder and trust matter most here.
LOADINGS = {
    "env_lighting": 0.9, "env_cctv": 0.5, "env_disorder": 0.8, "env_youth_groups": 0.6,
    "env_abandoned": 0.4, "env_stray_dogs": 0.3, "env_neighbours": 0.5, "pol_trust": 0.7,
    "pol_reachable": 0.6, "pol_response": 0.6, "pol_fair": 0.5, "pol_cooperate": 0.2,
}  # fmt: skip
# Worry levels: fraud highest (METHOD.md §5).
WORRY_SHIFT = {"worry_burglary": 0.2, "worry_pickpocket": 0.3, "worry_fraud": 0.9, "worry_violence": 0.0}
VICTIM_RATES = {"vic_burglary": 0.05, "vic_transport_theft": 0.06, "vic_fraud": 0.11, "vic_assault_hooliganism": 0.04}
REPORT_RATES = {"vic_burglary": 0.7, "vic_transport_theft": 0.3, "vic_fraud": 0.4, "vic_assault_hooliganism": 0.35}


def _setup(database: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetysurvey.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def _discretise(latent: np.ndarray, points: int) -> np.ndarray:
    """A latent value (standard-normal scale, high = favourable) as a scale point 1..k."""
    cuts = np.linspace(-1.3, 1.3, points - 1)
    return (np.searchsorted(cuts, latent) + 1).astype(np.int16)


def draw(definition, districts: list[str], pops: np.ndarray, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n responses spread over the three waves and the districts (by population, with a
    floor so small districts have enough), as raw answer columns."""
    share = np.maximum(pops / pops.sum(), 0.03)
    d_idx = rng.choice(len(districts), n, p=share / share.sum())
    w_idx = rng.choice(len(WAVES), n, p=[0.3, 0.33, 0.37])
    online = rng.random(n) < np.array([0.35, 0.45, 0.55])[w_idx]
    columns: dict[str, np.ndarray] = {"district": np.asarray(districts)[d_idx], "wave": w_idx, "online": online}
    age = np.where(online, rng.choice(4, n, p=[0.38, 0.34, 0.18, 0.10]), rng.choice(4, n, p=[0.14, 0.24, 0.30, 0.32]))
    sex = rng.choice(2, n, p=[0.58, 0.42])
    # Latent feeling of safety: district level (matching the SDG share), improving by wave;
    # older women feel a little less safe, as in most surveys.
    p_safe = np.array([SAFE_AFTER_DARK.get(d, 0.6) for d in districts])[d_idx] + np.array(WAVE_GAIN)[w_idx]
    # P(safe after dark) = P(latent + N(0, 0.5²) > 0) = Φ(base / √1.25); the age and sex
    # effects are centred so the district share stays as set.
    base = norm.ppf(np.clip(p_safe, 0.05, 0.95)) * np.sqrt(1.25) - 0.15 * ((sex == 0) - 0.58) - 0.05 * (age - 1.5)
    latent = base + rng.normal(0, 1, n)

    def scale(item, latent_item):
        points = item.scale_points
        x = _discretise(latent_item, points)
        return points + 1 - x if item.reverse else x  # stored value: 1 = least favourable before reversing

    for item in definition.items:
        code = item.code
        if item.kind == "likert" and item.subscore == "feeling" and code.startswith("safe_"):
            shift = {"safe_walk_day": 1.2, "safe_home_night": 0.8, "safe_walk_dark": 0.0, "safe_transport": 0.1}[code]
            values = scale(item, latent + shift + rng.normal(0, 0.5, n))
        elif code.startswith("worry_"):
            values = scale(item, latent * 0.8 - WORRY_SHIFT.get(code, 0) + rng.normal(0, 0.7, n))
        elif code in LOADINGS:
            loading = LOADINGS[code]
            values = scale(item, loading * latent + np.sqrt(1 - loading**2) * rng.normal(0, 1, n) + 0.1)
        else:
            continue
        values = values.astype(float)
        missing = next((o.value for o in item.options if o.missing and o.value == 9), None)
        if missing is not None:
            values[rng.random(n) < 0.03] = missing
        if not item.required:
            values[rng.random(n) < 0.05] = np.nan
        columns[code] = values
    # "I never walk alone after dark" (value 8) with the hypothetical follow-up.
    never = rng.random(n) < 0.06
    columns["safe_walk_dark_would"] = np.where(never, columns["safe_walk_dark"], np.nan)
    columns["safe_walk_dark"] = np.where(never, 8, columns["safe_walk_dark"])
    columns["pol_inspector_known"] = (rng.random(n) < 0.35 + 0.1 * (latent > 0)).astype(float)
    hot = np.isin(np.asarray(districts)[d_idx], list(HOT_ROUTES))
    for code, rate in VICTIM_RATES.items():
        boost = 1.6 if code == "vic_transport_theft" else 1.0
        victim = rng.random(n) < rate * np.where(hot, boost, 1.0) * np.exp(-0.3 * latent)
        columns[code] = victim.astype(float)
        columns[f"{code}_reported"] = np.where(victim, (rng.random(n) < REPORT_RATES[code]).astype(float), np.nan)
    place = rng.choice(np.arange(1, 9), n, p=[0.18, 0.16, 0.2, 0.1, 0.08, 0.08, 0.15, 0.05]).astype(float)
    place[hot & (rng.random(n) < 0.15)] = 2  # buses are named more often where thefts concentrate
    place[rng.random(n) < 0.3] = np.nan
    columns["unsafe_place_type"] = place
    route = np.full(n, None, dtype=object)
    on_bus = place == 2
    for d, routes in HOT_ROUTES.items():
        rows = on_bus & (np.asarray(districts)[d_idx] == d)
        weights = np.array([0.4, 0.3, 0.2, 0.1][: len(routes)])
        route[rows] = np.asarray(routes)[rng.choice(len(routes), rows.sum(), p=weights / weights.sum())]
    rest = on_bus & ~hot
    route[rest] = OTHER_ROUTES[rng.integers(0, len(OTHER_ROUTES), rest.sum())]
    route[on_bus & (rng.random(n) < 0.2)] = None
    columns["unsafe_bus_route"] = route
    columns["age_group"] = np.where(rng.random(n) < 0.04, np.nan, age + 1)
    columns["sex"] = np.where(rng.random(n) < 0.03, np.nan, sex + 1)
    columns["years_in_area"] = np.where(rng.random(n) < 0.1, np.nan, rng.choice([1, 2, 3], n, p=[0.05, 0.2, 0.75]))
    columns["language"] = rng.choice(np.array(["ru", "kk", "en"]), n, p=[0.62, 0.35, 0.03])
    return pd.DataFrame(columns)


def scores(definition, answers: pd.DataFrame) -> pd.DataFrame:
    """METHOD.md §3, vectorised: item scores, sub-scores (half rule), overall, SDG flag."""
    from checklist.scoring import SAFE_POINTS, SUBSCORES, UNSAFE_POINTS, item_score

    n = len(answers)
    effective = {}
    for item in definition.items:
        if item.code in answers and item.has_options:
            effective[item.code] = answers[item.code].to_numpy(dtype=float)
    for item in definition.items:  # stand-ins (METHOD.md §3.1)
        if item.substitutes and item.code in effective:
            original = definition.by_code[item.substitutes]
            valid = [o.value for o in original.options if not o.missing]
            replace = ~np.isin(effective[original.code], valid)
            effective[original.code] = np.where(replace, effective[item.code], effective[original.code])
    out = {}
    for name in SUBSCORES:
        items = definition.subscore_items(name)
        stack = np.full((n, len(items)), np.nan)
        for j, item in enumerate(items):
            x = effective.get(item.code, np.full(n, np.nan))
            for option in item.options:
                s = item_score(item, option.value)
                if s is not None:
                    stack[x == option.value, j] = s
        answered = (~np.isnan(stack)).sum(axis=1)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(np.where(answered[:, None] > 0, stack, 0), axis=1)
        out[name] = np.where(answered * 2 >= len(items), mean, np.nan)
    parts = np.column_stack([out[name] for name in SUBSCORES])
    have = (~np.isnan(parts)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        out["overall"] = np.where(have > 0, np.nansum(parts, axis=1) / np.maximum(have, 1), np.nan)
    sdg_item = next(item for item in definition.items if item.sdg)
    x = effective[sdg_item.code]
    out["sdg_safe"] = np.where(np.isin(x, SAFE_POINTS), 1.0, np.where(np.isin(x, UNSAFE_POINTS), 0.0, np.nan))
    return pd.DataFrame(out)


def _check_scores(definition, answers: pd.DataFrame, computed: pd.DataFrame, codes: list[str], sample: int = 300):
    """The vectorised scores must equal the scoring module's on a random sample."""
    from checklist.scoring import respondent_scores

    rng = np.random.default_rng(0)
    for i in rng.choice(len(answers), min(sample, len(answers)), replace=False):
        row = {c: _plain(answers[c].iat[i]) for c in codes}
        row = {c: v for c, v in row.items() if v is not None}
        expected = respondent_scores(definition, row).as_dict()
        for name, value in expected.items():
            got = computed[name].iat[i]
            if value is None:
                assert np.isnan(got), (i, name, got)
            else:
                assert abs(float(value) - got) < 1e-9, (i, name, got, value)


def _plain(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)):
        return int(value)
    return str(value)


def seed(n: int, seed_value: int = 2026) -> None:
    from django.db import connection

    from checklist.definition import definition_for
    from checklist.loading import checklist_load, districts_load
    from checklist.models import Checklist, District
    from surveys.models import Response, Wave

    started = time.perf_counter()
    data = ROOT / "checklist" / "data"
    checklist = Checklist.objects.filter(version=1).first() or checklist_load(
        text=(data / "checklist-v1.yaml").read_text(encoding="utf-8")
    )
    districts_load(text=(data / "karaganda.yaml").read_text(encoding="utf-8"))
    for code, name, starts in WAVES:
        Wave.objects.update_or_create(code=code, defaults={"name": name, "starts_on": starts, "is_open": False})
    Wave.objects.filter(code=WAVES[-1][0]).update(is_open=True)
    definition = definition_for(checklist)
    leaves = [d for d in District.objects.order_by("code") if d.takes_responses]
    codes_by_district = [d.code for d in leaves]
    pops = np.array([d.adult_population or 1 for d in leaves], dtype=float)
    rng = np.random.default_rng(seed_value)

    answers = draw(definition, codes_by_district, pops, n, rng)
    item_codes = [item.code for item in definition.items if item.code in answers and item.kind != "text"]
    computed = scores(definition, answers)
    _check_scores(definition, answers, computed, item_codes)
    print(f"drew {n:,} responses and their scores in {time.perf_counter() - started:.1f} s")

    wave_ids = dict(Wave.objects.values_list("code", "id"))
    district_ids = dict(District.objects.values_list("code", "id"))
    staged = pd.DataFrame(
        {
            "wave_id": np.array([wave_ids[w[0]] for w in WAVES])[answers["wave"].to_numpy()],
            "district_id": answers["district"].map(district_ids).to_numpy(),
            "channel": np.where(answers["online"], "online", "paper"),
            "language": answers["language"],
            "submitted_on": (
                pd.to_datetime(np.array([w[2] for w in WAVES])[answers["wave"].to_numpy()])
                + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
            ).strftime("%Y-%m-%d"),
            **{name: computed[name] for name in ("feeling", "environment", "police", "overall")},
            "sdg_safe": computed["sdg_safe"].map({1.0: "t", 0.0: "f"}),
            **{code: answers[code].astype("Int64") if code != "unsafe_bus_route" else answers[code]
               for code in item_codes},
        }
    )
    table = Response._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("DROP TABLE IF EXISTS bench_staging")
        raw.execute(
            "CREATE UNLOGGED TABLE bench_staging (wave_id bigint, district_id bigint, channel text, language text,"
            " submitted_on date, feeling float8, environment float8, police float8, overall float8, sdg_safe bool, "
            + ", ".join(f'"{c}" {"text" if c == "unsafe_bus_route" else "smallint"}' for c in item_codes)
            + ")"
        )
        buffer = io.StringIO()
        staged.to_csv(buffer, index=False, header=False)
        t0 = time.perf_counter()
        names = ", ".join(f'"{c}"' for c in staged.columns)
        with raw.copy(f"COPY bench_staging ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        print(f"copied to staging in {time.perf_counter() - t0:.1f} s")
        pairs = ", ".join(f"'{c}', \"{c}\"" for c in item_codes)
        t0 = time.perf_counter()
        raw.execute(
            f'INSERT INTO "{table}" (checklist_id, wave_id, district_id, channel, language, answers, submitted_on, '
            "client_id, feeling, environment, police, overall, sdg_safe, is_void) "
            f"SELECT %s, wave_id, district_id, channel, language, jsonb_strip_nulls(jsonb_build_object({pairs})), "
            "submitted_on, NULL, feeling, environment, police, overall, sdg_safe, false FROM bench_staging",
            (checklist.pk,),
        )
        print(f"built the answers JSON and inserted in {time.perf_counter() - t0:.1f} s")
        raw.execute("DROP TABLE bench_staging")
        raw.execute(f'ANALYZE "{table}"')
    total = Response.objects.count()
    print(f"seeded {n:,} responses ({total:,} in the database) in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--database", default="bench_reports")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--append", action="store_true", help="add to existing responses instead of replacing them")
    args = parser.parse_args()
    _setup(args.database)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not args.append:
        from django.db import connection

        from surveys.models import Response

        with connection.cursor() as cursor:
            # CASCADE: paper sheets (and anything else) point at responses; a benchmark
            # database holds nothing else worth keeping.
            cursor.execute(f'TRUNCATE "{Response._meta.db_table}" CASCADE')
    seed(args.responses, args.seed)


if __name__ == "__main__":
    main()
