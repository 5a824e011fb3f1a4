"""The input of the statistics: committed responses as one pandas frame (METHOD.md §4).

`load_frame` reads the committed, non-void responses of some waves and districts, one row
per response, in the columns `reports.aggregation.wave_figures` reads. The columns of the
answers are built from the checklist definitions of the versions the responses were given
in (never from a hard-coded list), and a wave answered in several versions is read item
code by item code: a code means the same question in every version.

On PostgreSQL the frame is streamed with one server-side
`COPY (SELECT ..., answers->>'env_lighting', ...) TO STDOUT` and parsed by pandas, which
reads a million responses in a few seconds; other databases (SQLite in development and
unit tests) go through the ORM. Both paths return the same frame.

`load_answers` reads the raw answers (option values, route numbers) for the microdata
exports, through the same two paths.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Q

from checklist.definition import ChecklistDef, ItemDef, definition_for
from checklist.models import Checklist, District
from checklist.scoring import item_score
from surveys.models import Response, Wave

# Item codes with a fixed meaning in METHOD.md: weighting (§4.1) and places (§4.7).
AGE_ITEM = "age_group"
SEX_ITEM = "sex"
PLACE_TYPE_ITEM = "unsafe_place_type"
BUS_ROUTE_ITEM = "unsafe_bus_route"
# METHOD.md §2 D: victimisation items are yes/no questions coded vic_<type>, each followed
# by vic_<type>_reported.
VICTIM_PREFIX = "vic_"
# The index sub-score (METHOD.md §3.2); the items of every other sub-score are the
# candidate key drivers (§4.5: the items of sections B and C).
INDEX_SUBSCORE = "feeling"

ITEM_COLUMN = "item:"
VICTIM_COLUMN = "vic:"
SCORE_COLUMNS = ("feeling", "environment", "police", "overall")
CATEGORY_COLUMNS = ("wave", "district", "channel")
YES, NO = 1, 0  # the stored values of a yes/no answer (checklist-v1.yaml, scale yes_no)

_RAW = "a:"  # prefix of raw answer columns between the fetch and the frame


@dataclass(frozen=True)
class _Wanted:
    """One answer to read: its item code and whether the stored value is a number."""

    code: str
    numeric: bool


# ---------------------------------------------------------------------------
# Which checklist versions and which items
# ---------------------------------------------------------------------------


def _scope(waves: Sequence[str] | None, districts: Sequence[str] | None):
    responses = Response.objects.filter(is_void=False)
    if waves is not None:
        responses = responses.filter(wave__code__in=list(waves))
    if districts is not None:
        responses = responses.filter(district__code__in=list(districts))
    return responses


def _definitions(waves, districts) -> dict[int, ChecklistDef]:
    """The definitions of the checklist versions the scope's responses were given in."""
    used = _scope(waves, districts).values("checklist_id")
    return {checklist.pk: definition_for(checklist) for checklist in Checklist.objects.filter(pk__in=used)}


def _items_by_code(definitions: dict[int, ChecklistDef]) -> dict[str, list[tuple[int, ItemDef]]]:
    """Every item code of the versions, in questionnaire order (newest version first)."""
    out: dict[str, list[tuple[int, ItemDef]]] = {}
    for checklist_id, definition in sorted(definitions.items(), key=lambda kv: -kv[1].version):
        for item in definition.items:
            out.setdefault(item.code, []).append((checklist_id, item))
    return out


def driver_codes(definitions: Iterable[ChecklistDef]) -> list[str]:
    """Codes of the scored items outside the index: the key-driver candidates (METHOD.md §4.5)."""
    codes: dict[str, None] = {}
    for definition in sorted(definitions, key=lambda d: -d.version):
        for item in definition.items:
            if item.subscore and item.subscore != INDEX_SUBSCORE:
                codes.setdefault(item.code)
    return list(codes)


def victim_codes(definitions: Iterable[ChecklistDef]) -> list[str]:
    """Codes of the victimisation questions and their follow-ups (METHOD.md §4.6)."""
    codes: dict[str, None] = {}
    for definition in sorted(definitions, key=lambda d: -d.version):
        for item in definition.items:
            if item.kind == "yes_no" and item.code.startswith(VICTIM_PREFIX):
                codes.setdefault(item.code)
    return list(codes)


# ---------------------------------------------------------------------------
# Fetching: PostgreSQL COPY or the ORM
# ---------------------------------------------------------------------------


def _use_copy() -> bool:
    return connection.vendor == "postgresql"


def _fetch(wanted: Sequence[_Wanted], waves, districts) -> pd.DataFrame:
    """Base columns + `checklist_id` + one raw column `a:<code>` per wanted answer, ordered
    by response id. Numbers are float64 (NaN missing), texts str (NaN missing)."""
    if _use_copy():
        return _fetch_copy(wanted, waves, districts)
    return _fetch_orm(wanted, waves, districts)


def _fetch_copy(wanted: Sequence[_Wanted], waves, districts) -> pd.DataFrame:
    from psycopg import sql

    response, wave, district = (model._meta.db_table for model in (Response, Wave, District))
    columns = [
        sql.SQL("r.checklist_id"),
        sql.SQL("w.code"),
        sql.SQL("d.code"),
        sql.SQL("r.channel"),
        *(sql.SQL("r.{}").format(sql.Identifier(score)) for score in SCORE_COLUMNS),
        sql.SQL("CASE WHEN r.sdg_safe THEN 1 WHEN NOT r.sdg_safe THEN 0 END"),
        # ->> gives the JSON value as text: '4' for a number, the string itself for a text.
        *(sql.SQL("r.answers ->> {}").format(sql.Literal(want.code)) for want in wanted),
    ]
    conditions = [sql.SQL("NOT r.is_void")]
    if waves is not None:
        conditions.append(sql.SQL("w.code = ANY({})").format(sql.Literal(list(map(str, waves)))))
    if districts is not None:
        conditions.append(sql.SQL("d.code = ANY({})").format(sql.Literal(list(map(str, districts)))))
    query = sql.SQL(
        "COPY (SELECT {columns} FROM {response} r JOIN {wave} w ON w.id = r.wave_id "
        "JOIN {district} d ON d.id = r.district_id WHERE {where} ORDER BY r.id) "
        "TO STDOUT WITH (FORMAT csv)"
    ).format(
        columns=sql.SQL(", ").join(columns),
        response=sql.Identifier(response),
        wave=sql.Identifier(wave),
        district=sql.Identifier(district),
        where=sql.SQL(" AND ").join(conditions),
    )
    chunks = []
    connection.ensure_connection()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(query) as copy:
            for chunk in copy:
                chunks.append(bytes(chunk))
    names = ["checklist_id", *CATEGORY_COLUMNS, *SCORE_COLUMNS, "sdg_safe", *(_RAW + w.code for w in wanted)]
    text_columns = [*CATEGORY_COLUMNS, *(_RAW + w.code for w in wanted if not w.numeric)]
    buffer = io.BytesIO(b"".join(chunks))
    del chunks
    if not buffer.getbuffer().nbytes:
        return _empty(names, text_columns)
    frame = pd.read_csv(
        buffer,
        header=None,
        names=names,
        # Only an empty field is missing: a route called "NA" stays "NA".
        keep_default_na=False,
        na_values=[""],
        dtype={name: "str" for name in text_columns} | {name: "float64" for name in names if name not in text_columns},
        engine="c",
    )
    return frame


def _empty(names: list[str], text_columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype="str" if name in text_columns else "float64") for name in names})


def _fetch_orm(wanted: Sequence[_Wanted], waves, districts) -> pd.DataFrame:
    rows = list(
        _scope(waves, districts)
        .order_by("pk")
        .values_list("checklist_id", "wave__code", "district__code", "channel", *SCORE_COLUMNS, "sdg_safe", "answers")
    )
    names = ["checklist_id", *CATEGORY_COLUMNS, *SCORE_COLUMNS, "sdg_safe"]
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 1)
    data: dict[str, pd.Series] = {}
    for name, values in zip(names, columns, strict=False):
        if name in CATEGORY_COLUMNS:
            data[name] = pd.Series(values, dtype="str")
        elif name == "sdg_safe":
            data[name] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        else:
            data[name] = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    answers = columns[-1]
    for want in wanted:
        values = [a.get(want.code) for a in answers]
        if want.numeric:
            data[_RAW + want.code] = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
        else:
            data[_RAW + want.code] = pd.Series([_as_text(v) for v in values], dtype="str")
    return pd.DataFrame(data)


def _as_text(value) -> str | float:
    """A stored answer as PostgreSQL's ->> prints it (so both paths agree)."""
    if value is None:
        return np.nan
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value)


# ---------------------------------------------------------------------------
# From raw answers to scores and flags, vectorised
# ---------------------------------------------------------------------------


def _lookup(values: np.ndarray, table: dict[float, float]) -> np.ndarray:
    """Each value mapped through `table`; values not in it (or NaN) give NaN."""
    out = np.full(len(values), np.nan)
    if not table or not len(values):
        return out
    keys = np.array(sorted(table), dtype="float64")
    mapped = np.array([table[key] for key in sorted(table)], dtype="float64")
    present = ~np.isnan(values)
    x = values[present]
    at = np.clip(np.searchsorted(keys, x), 0, len(keys) - 1)
    out[present] = np.where(keys[at] == x, mapped[at], np.nan)
    return out


def _per_version(raw: np.ndarray, checklist_ids: np.ndarray, tables: dict[int, dict[float, float]]) -> np.ndarray:
    """Map a raw answer column through each row's own checklist version's table."""
    distinct = {tuple(sorted(t.items())) for t in tables.values()}
    if len(distinct) == 1:
        return _lookup(raw, next(iter(tables.values())))
    out = np.full(len(raw), np.nan)
    for checklist_id, table in tables.items():
        rows = checklist_ids == checklist_id
        out[rows] = _lookup(raw[rows], table)
    return out


def _score_table(item: ItemDef) -> dict[float, float]:
    """value -> 0–100 score, by checklist.scoring.item_score's rule (METHOD.md §3.1)."""
    table = {}
    for option in item.options:
        score = item_score(item, option.value)
        if score is not None:
            table[float(option.value)] = score
    return table


def _flag_table(item: ItemDef) -> dict[float, float]:
    """yes -> 1, no -> 0; a "missing" option (if any) -> NaN."""
    table = {}
    for option in item.options:
        if not option.missing and option.value in (YES, NO):
            table[float(option.value)] = 1.0 if option.value == YES else 0.0
    return table


def _category_table(item: ItemDef) -> dict[float, float]:
    """The offered, non-missing options of a single choice (age group, sex, place type)."""
    return {float(option.value): float(option.value) for option in item.options if not option.missing}


def _tables(versions: list[tuple[int, ItemDef]], make) -> dict[int, dict[float, float]]:
    return {checklist_id: make(item) for checklist_id, item in versions}


# ---------------------------------------------------------------------------
# Public
# ---------------------------------------------------------------------------


def load_frame(*, waves: Sequence[str] | None = None, districts: Sequence[str] | None = None) -> pd.DataFrame:
    """Committed, non-void responses, one row per response, ordered as stored.

    Columns: `wave`, `district`, `channel` (str codes); `age_group`, `sex` (Int64, <NA>
    when not answered); `feeling` (the index), `environment`, `police`, `overall` (float,
    NaN missing); `sdg_safe` (1.0/0.0/NaN); `item:<code>` 0–100 scores (reverse-coded)
    of the key-driver items; `vic:<type>` and `vic:<type>_reported` (1.0/0.0/NaN);
    `unsafe_place_type` (Int64); `unsafe_bus_route` (str, NaN when not named).

    `waves` and `districts` are codes; None means all.
    """
    definitions = _definitions(waves, districts)
    by_code = _items_by_code(definitions)
    drivers = driver_codes(definitions.values())
    victims = victim_codes(definitions.values())
    categories = [code for code in (AGE_ITEM, SEX_ITEM, PLACE_TYPE_ITEM) if code in by_code]
    wanted = [_Wanted(code, True) for code in (*categories, *drivers, *victims)]
    if BUS_ROUTE_ITEM in by_code:
        wanted.append(_Wanted(BUS_ROUTE_ITEM, False))
    raw = _fetch(wanted, waves, districts)
    n = len(raw)
    checklist_ids = raw["checklist_id"].to_numpy(dtype="float64", na_value=np.nan)

    def mapped(code: str, make) -> np.ndarray:
        return _per_version(raw[_RAW + code].to_numpy(dtype="float64"), checklist_ids, _tables(by_code[code], make))

    def category(code: str) -> pd.arrays.IntegerArray:
        values = mapped(code, _category_table) if code in by_code else np.full(n, np.nan)
        return pd.array(pd.Series(values, dtype="float64"), dtype="Int64")

    frame: dict[str, object] = {name: raw[name] for name in CATEGORY_COLUMNS}
    frame[AGE_ITEM] = category(AGE_ITEM)
    frame[SEX_ITEM] = category(SEX_ITEM)
    for score in SCORE_COLUMNS:
        frame[score] = raw[score].to_numpy(dtype="float64")
    frame["sdg_safe"] = raw["sdg_safe"].to_numpy(dtype="float64")
    for code in drivers:
        frame[ITEM_COLUMN + code] = mapped(code, _score_table)
    for code in victims:
        frame[VICTIM_COLUMN + code.removeprefix(VICTIM_PREFIX)] = mapped(code, _flag_table)
    frame[PLACE_TYPE_ITEM] = category(PLACE_TYPE_ITEM)
    if BUS_ROUTE_ITEM in by_code:
        frame[BUS_ROUTE_ITEM] = raw[_RAW + BUS_ROUTE_ITEM].astype("str")
    else:
        frame[BUS_ROUTE_ITEM] = pd.Series(np.full(n, np.nan), dtype="str")
    return pd.DataFrame(frame)


def load_answers(*, waves: Sequence[str] | None = None, districts: Sequence[str] | None = None,
                 codes: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict[str, ItemDef]]:
    """The stored answers for the microdata exports: columns `wave`, `district`,
    `channel`, the scores and `sdg_safe` as in `load_frame`, then one column per item
    code (option values as Int64, texts as str, a multiple choice as a JSON list text).

    Returns the frame and the item definitions by code (newest version first), which
    carry the labels. `codes` limits the items (default: every item of the versions).
    """
    definitions = _definitions(waves, districts)
    by_code = _items_by_code(definitions)
    chosen = [code for code in by_code if codes is None or code in codes]
    numeric = {code for code in chosen if by_code[code][0][1].kind in ("likert", "single", "yes_no", "number")}
    raw = _fetch([_Wanted(code, code in numeric) for code in chosen], waves, districts)
    frame: dict[str, object] = {name: raw[name] for name in CATEGORY_COLUMNS}
    for score in SCORE_COLUMNS:
        frame[score] = raw[score]
    frame["sdg_safe"] = raw["sdg_safe"]
    for code in chosen:
        column = raw[_RAW + code]
        if code in numeric and by_code[code][0][1].kind != "number":
            column = pd.array(column, dtype="Int64")
        frame[code] = column
    return pd.DataFrame(frame), {code: by_code[code][0][1] for code in chosen}


def population(*, districts: Sequence[str] | None = None) -> dict[str, dict]:
    """{district code: {"adult_population", "margins"}} for the units residents answer
    for (METHOD.md §4.1), from the District rows."""
    units = District.objects.filter(
        Q(kind__in=[District.Kind.DISTRICT, District.Kind.CITY_DISTRICT])
        | Q(kind=District.Kind.CITY, children__isnull=True)
    ).distinct()
    if districts is not None:
        units = units.filter(code__in=list(districts))
    return {
        code: {"adult_population": adults, "margins": margins or {}}
        for code, adults, margins in units.order_by("code").values_list("code", "adult_population", "margins")
    }
