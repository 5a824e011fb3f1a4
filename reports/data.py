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
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
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
INDEX_ITEM_COLUMN = "feel:"
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
# Which responses, which checklist versions and which items
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """Wave and district ids of a request (None = all) and every id's code."""

    wave_ids: tuple[int, ...] | None
    district_ids: tuple[int, ...] | None
    wave_codes: dict[int, str]
    district_codes: dict[int, str]

    @property
    def empty(self) -> bool:
        return self.wave_ids == () or self.district_ids == ()

    def only(self, wave_codes: Sequence[str]) -> _Scope:
        wanted = {pk for pk, code in self.wave_codes.items() if code in set(map(str, wave_codes))}
        ids = tuple(sorted(wanted if self.wave_ids is None else wanted & set(self.wave_ids)))
        return _Scope(ids, self.district_ids, self.wave_codes, self.district_codes)

    def without(self, wave_codes: Sequence[str]) -> _Scope:
        unwanted = {pk for pk, code in self.wave_codes.items() if code in set(map(str, wave_codes))}
        ids = tuple(sorted((set(self.wave_codes) if self.wave_ids is None else set(self.wave_ids)) - unwanted))
        return _Scope(ids, self.district_ids, self.wave_codes, self.district_codes)


def _resolve(waves: Sequence[str] | None, districts: Sequence[str] | None) -> _Scope:
    wave_codes = dict(Wave.objects.values_list("pk", "code"))
    district_codes = dict(District.objects.values_list("pk", "code"))
    wave_ids = None if waves is None else tuple(sorted(pk for pk, c in wave_codes.items() if c in set(map(str, waves))))
    district_ids = (
        None if districts is None
        else tuple(sorted(pk for pk, c in district_codes.items() if c in set(map(str, districts))))
    )
    return _Scope(wave_ids, district_ids, wave_codes, district_codes)


def _all_definitions() -> dict[int, ChecklistDef]:
    """Every checklist version (a handful); the frame keeps the items of those its rows use."""
    return {checklist.pk: definition_for(checklist) for checklist in Checklist.objects.all()}


def _items_by_code(definitions: dict[int, ChecklistDef]) -> dict[str, list[tuple[int, ItemDef]]]:
    """Every item code of the versions, in questionnaire order (newest version first)."""
    out: dict[str, list[tuple[int, ItemDef]]] = {}
    for checklist_id, definition in sorted(definitions.items(), key=lambda kv: -kv[1].version):
        for item in definition.items:
            out.setdefault(item.code, []).append((checklist_id, item))
    return out


def driver_codes(definitions: Iterable[ChecklistDef]) -> list[str]:
    """Codes of the scored items outside the index: the key-driver candidates (METHOD.md §4.5)."""
    return _codes(definitions, lambda item: bool(item.subscore) and item.subscore != INDEX_SUBSCORE)


def index_codes(definitions: Iterable[ChecklistDef]) -> list[str]:
    """Codes of the items of the index sub-score (METHOD.md §3.2), without stand-ins."""
    return _codes(definitions, lambda item: item.subscore == INDEX_SUBSCORE)


def victim_codes(definitions: Iterable[ChecklistDef]) -> list[str]:
    """Codes of the victimisation questions and their follow-ups (METHOD.md §4.6)."""
    return _codes(definitions, lambda item: item.kind == "yes_no" and item.code.startswith(VICTIM_PREFIX))


def figure_item_codes(definitions: Iterable[ChecklistDef]) -> list[str]:
    """Codes of every item whose answer some figure reads (METHOD.md §3, §4): the scored items
    and their stand-ins, the SDG item, the victimisation questions, age group and sex
    (weighting) and the place items. Correcting any other answer (the free-text note, the
    years in the area) changes no figure (reports.snapshots counts corrections by it)."""
    fixed = (AGE_ITEM, SEX_ITEM, PLACE_TYPE_ITEM, BUS_ROUTE_ITEM)
    return _codes(
        definitions,
        lambda item: bool(item.subscore or item.substitutes or item.sdg or item.code in fixed)
        or (item.kind == "yes_no" and item.code.startswith(VICTIM_PREFIX)),
    )


def _codes(definitions: Iterable[ChecklistDef], keep) -> list[str]:
    codes: dict[str, None] = {}
    for definition in sorted(definitions, key=lambda d: -d.version):
        for item in definition.items:
            if keep(item):
                codes.setdefault(item.code)
    return list(codes)


# ---------------------------------------------------------------------------
# Fetching: PostgreSQL COPY or the ORM
# ---------------------------------------------------------------------------

_BASE = ("id", "checklist_id", "wave_id", "district_id", "channel", *SCORE_COLUMNS, "sdg_safe")


def _use_copy() -> bool:
    return connection.vendor == "postgresql"


def _fetch(wanted: Sequence[_Wanted], scope: _Scope) -> pd.DataFrame:
    """The columns of `_BASE` and one raw column `a:<code>` per wanted answer, in no
    particular order (`_order` sorts by id). Numbers are float64 (NaN missing), texts str
    (NaN missing), the channel str."""
    names = [*_BASE, *(_RAW + w.code for w in wanted)]
    text_columns = ["channel", *(_RAW + w.code for w in wanted if not w.numeric)]
    if scope.empty:
        return pd.DataFrame({n: pd.Series([], dtype="str" if n in text_columns else "float64") for n in names})
    return _fetch_copy(wanted, scope, names, text_columns) if _use_copy() else _fetch_orm(wanted, scope, names)


def _order(raw: pd.DataFrame) -> np.ndarray | None:
    """Positions that put the rows in response id order (None: they already are). Each
    output column is taken in this order once, instead of copying the whole raw frame."""
    ids = raw["id"].to_numpy()
    if len(ids) < 2 or (ids[1:] > ids[:-1]).all():
        return None
    return np.argsort(ids, kind="stable")


def _take(values, order: np.ndarray | None):
    if order is None:
        return values.reset_index(drop=True) if isinstance(values, pd.Series) else values
    if isinstance(values, pd.Series):
        return values.take(order).reset_index(drop=True)
    return values[order]


def _fetch_copy(wanted: Sequence[_Wanted], scope: _Scope, names: list[str], text_columns: list[str]) -> pd.DataFrame:
    from psycopg import sql

    # answers ->> 'code' gives the stored value as text ('4' for a number, the string itself
    # for a text, NULL when absent). Measured on a million responses it costs the server
    # less CPU than jsonb_to_record with typed columns, and it cannot fail on a value.
    columns = sql.SQL(", ").join(
        [
            *(sql.SQL("r.{}").format(sql.Identifier(name)) for name in _BASE if name != "sdg_safe"),
            sql.SQL("CASE WHEN r.sdg_safe THEN 1 WHEN NOT r.sdg_safe THEN 0 END"),
            *(sql.SQL("r.answers ->> {}").format(sql.Literal(w.code)) for w in wanted),
        ]
    )
    conditions = [sql.SQL("NOT r.is_void")]
    if scope.wave_ids is not None:
        conditions.append(sql.SQL("r.wave_id = ANY({})").format(sql.Literal(list(scope.wave_ids))))
    if scope.district_ids is not None:
        conditions.append(sql.SQL("r.district_id = ANY({})").format(sql.Literal(list(scope.district_ids))))
    # No ORDER BY: sorting wide rows on the server spills to disk; the ids are sorted here.
    template = sql.SQL("COPY (SELECT {columns} FROM {response} r WHERE {where}) TO STDOUT WITH (FORMAT csv)")

    def query(part: int | None, parts: int):
        where = list(conditions)
        if part is not None:
            where.append(sql.SQL("r.id % {} = {}").format(sql.Literal(parts), sql.Literal(part)))
        return template.format(
            columns=columns,
            response=sql.Identifier(Response._meta.db_table),
            where=sql.SQL(" AND ").join(where),
        )

    def parse(buffer: io.BytesIO) -> pd.DataFrame:
        def read(dtype):
            buffer.seek(0)
            # Only an empty field is missing: a route called "NA" stays "NA".
            return pd.read_csv(buffer, header=None, names=names, keep_default_na=False, na_values=[""],
                               dtype=dtype, engine="c")

        numbers = {name: "str" if name in text_columns else "float64" for name in names}
        try:
            return read(numbers)
        except ValueError:
            # A stored answer that is not a number where one is expected (never written by
            # clean_answers, but possible in old or imported data) counts as missing.
            frame = read({name: "str" if name in text_columns or name.startswith(_RAW) else "float64"
                          for name in names})
            for name in names:
                if name.startswith(_RAW) and name not in text_columns:
                    frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
            return frame

    streams = max(1, int(getattr(settings, "REPORT_COPY_STREAMS", 2)))
    connection.ensure_connection()
    if streams == 1 or connection.in_atomic_block:
        # Inside a transaction only this connection sees its own writes: one stream.
        with connection.cursor() as cursor:
            buffers = [_copy(cursor.cursor, query(None, 1))]  # the psycopg cursor under Django's wrapper
        frames = [parse(buffer) for buffer in buffers if buffer.tell()]
    else:
        frames = _parallel_copy([query(part, streams) for part in range(streams)], parse)
    if not frames:
        return pd.DataFrame({n: pd.Series([], dtype="str" if n in text_columns else "float64") for n in names})
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _copy(cursor, query) -> io.BytesIO:
    buffer = io.BytesIO()
    with cursor.copy(query) as copy:
        while data := copy.read():
            buffer.write(data)
    return buffer


def _parallel_copy(queries: list, parse) -> list[pd.DataFrame]:
    """Run each COPY on a connection of its own, all in one snapshot (as pg_dump -j does),
    and parse each stream as it completes. A COPY runs on one server process, so a
    million responses are read about twice as fast in two streams on two cores."""
    import psycopg

    params = connection.get_connection_params()
    opened: list = []
    try:
        for _ in queries:
            conn = psycopg.connect(**params, autocommit=True)
            opened.append(conn)
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = opened[0].execute("SELECT pg_export_snapshot()").fetchone()[0]
        for conn in opened[1:]:
            conn.execute(psycopg.sql.SQL("SET TRANSACTION SNAPSHOT {}").format(psycopg.sql.Literal(snapshot)))

        def work(conn, query) -> pd.DataFrame | None:
            with conn.cursor() as cursor:
                buffer = _copy(cursor, query)
            return parse(buffer) if buffer.tell() else None

        with ThreadPoolExecutor(max_workers=len(queries)) as pool:
            results = list(pool.map(work, opened, queries))
        return [frame for frame in results if frame is not None]
    finally:
        for conn in opened:
            conn.close()


def _fetch_orm(wanted: Sequence[_Wanted], scope: _Scope, names: list[str]) -> pd.DataFrame:
    responses = Response.objects.filter(is_void=False)
    if scope.wave_ids is not None:
        responses = responses.filter(wave_id__in=scope.wave_ids)
    if scope.district_ids is not None:
        responses = responses.filter(district_id__in=scope.district_ids)
    rows = list(responses.order_by("pk").values_list(*_BASE, "answers"))
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(_BASE) + 1)
    data: dict[str, pd.Series] = {}
    for name, values in zip(_BASE, columns, strict=False):
        if name == "channel":
            data[name] = pd.Series(values, dtype="str")
        else:
            data[name] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    answers = columns[-1]
    for want in wanted:
        values = [a.get(want.code) for a in answers]
        if want.numeric:
            data[_RAW + want.code] = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
        else:
            data[_RAW + want.code] = pd.Series([_as_text(v) for v in values], dtype="str")
    return pd.DataFrame(data, columns=names)


def _as_text(value) -> str | float:
    """A stored answer as PostgreSQL prints a jsonb value as text (so both paths agree)."""
    if value is None:
        return np.nan
    if isinstance(value, str):
        return value
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


def load_frame(
    *,
    waves: Sequence[str] | None = None,
    districts: Sequence[str] | None = None,
    detail_waves: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Committed, non-void responses, one row per response, in the order they were stored.

    Columns: `wave`, `district`, `channel` (str codes); `age_group`, `sex` (Int64, <NA>
    when not answered); `feeling` (the index), `environment`, `police`, `overall` (float,
    NaN missing); `sdg_safe` (1.0/0.0/NaN); `item:<code>` 0–100 scores (reverse-coded,
    METHOD.md §3.1) of the key-driver items (§4.5); `vic:<type>` and
    `vic:<type>_reported` (1.0/0.0/NaN, §4.6); `unsafe_place_type` (Int64) and
    `unsafe_bus_route` (str, NaN when not named) (§4.7); and `feel:<code>` 0–100 scores
    of the index items, with the "would feel" stand-in applied (for the distribution of
    answers; `wave_figures` ignores them).

    `waves` and `districts` are codes; None means all. With `detail_waves`, the answer
    columns (item:, vic:, feel:, places) are read only for the rows of those waves and
    are missing elsewhere: earlier waves feed only the change and trend figures, which
    need the scores, age group and sex, and reading fewer answers is much faster.
    """
    scope = _resolve(waves, districts)
    definitions = _all_definitions()
    by_code = _items_by_code(definitions)
    drivers = driver_codes(definitions.values())
    index_items = index_codes(definitions.values())
    victims = victim_codes(definitions.values())
    stand_ins = [item.code for d in definitions.values() for item in d.items if item.substitutes in index_items]
    weighting = [_Wanted(code, True) for code in (AGE_ITEM, SEX_ITEM) if code in by_code]
    detail = [
        _Wanted(code, True)
        for code in dict.fromkeys((PLACE_TYPE_ITEM, *drivers, *victims, *index_items, *stand_ins))
        if code in by_code
    ]
    if BUS_ROUTE_ITEM in by_code:
        detail.append(_Wanted(BUS_ROUTE_ITEM, False))
    if detail_waves is None:
        raw = _fetch([*weighting, *detail], scope)
    else:
        parts = [
            _fetch([*weighting, *detail], scope.only(detail_waves)),
            _fetch(weighting, scope.without(detail_waves)),
        ]
        raw = pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
        del parts
    order = _order(raw)
    n = len(raw)
    checklist_ids = raw["checklist_id"].to_numpy(dtype="float64", na_value=np.nan)
    # Keep the items of the versions these rows were given in (a later version's new item
    # is no column of a wave answered before it existed).
    used = {int(pk) for pk in np.unique(checklist_ids[~np.isnan(checklist_ids)])}
    in_use = {code for pk in used for code in definitions[pk].by_code}

    def mapped(code: str, make) -> np.ndarray:
        column = raw.get(_RAW + code)
        if column is None or code not in by_code:
            return np.full(n, np.nan)
        return _take(_per_version(column.to_numpy(dtype="float64"), checklist_ids, _tables(by_code[code], make)),
                     order)

    def category(code: str) -> pd.arrays.IntegerArray:
        return pd.array(pd.Series(mapped(code, _category_table), dtype="float64"), dtype="Int64")

    frame: dict[str, object] = {
        "wave": _codes_of(_take(raw["wave_id"], order), scope.wave_codes),
        "district": _codes_of(_take(raw["district_id"], order), scope.district_codes),
        "channel": _take(raw["channel"], order),
        AGE_ITEM: category(AGE_ITEM),
        SEX_ITEM: category(SEX_ITEM),
    }
    for score in SCORE_COLUMNS:
        frame[score] = _take(raw[score].to_numpy(dtype="float64"), order)
    frame["sdg_safe"] = _take(raw["sdg_safe"].to_numpy(dtype="float64"), order)
    for code in drivers:
        if code in in_use:
            frame[ITEM_COLUMN + code] = mapped(code, _score_table)
    for code in victims:
        if code in in_use:
            frame[VICTIM_COLUMN + code.removeprefix(VICTIM_PREFIX)] = mapped(code, _flag_table)
    frame[PLACE_TYPE_ITEM] = category(PLACE_TYPE_ITEM)
    routes = raw.get(_RAW + BUS_ROUTE_ITEM)
    if routes is None:
        routes = pd.Series(np.full(n, np.nan), dtype="str")
    frame[BUS_ROUTE_ITEM] = _take(routes.astype("str"), order)
    for code in index_items:
        if code not in in_use:
            continue
        scores = mapped(code, _score_table)
        # METHOD.md §3.1: "I never walk alone after dark" counts as the "would feel" answer.
        for stand_in in stand_ins:
            if by_code[stand_in][0][1].substitutes == code:
                scores = np.where(np.isnan(scores), mapped(stand_in, _score_table), scores)
        frame[INDEX_ITEM_COLUMN + code] = scores
    return pd.DataFrame(frame, copy=False)


def _codes_of(ids: pd.Series, codes: dict[int, str]) -> pd.Series:
    """Row ids (float) as the codes they stand for."""
    keys = np.array(sorted(codes), dtype="float64")
    labels = np.array([codes[int(k)] for k in keys], dtype=object)
    values = ids.to_numpy(dtype="float64")
    if not len(values):
        return pd.Series([], dtype="str")
    return pd.Series(labels[np.searchsorted(keys, values)], dtype="str")


def load_answers(
    *, waves: Sequence[str] | None = None, districts: Sequence[str] | None = None, codes: Sequence[str] | None = None
) -> tuple[pd.DataFrame, dict[str, ItemDef]]:
    """The stored answers for the microdata exports: columns `wave`, `district`,
    `channel`, the scores and `sdg_safe` as in `load_frame`, then one column per item
    code (option values as Int64, numbers float, texts str, a multiple choice as its JSON
    list text), in response id order.

    Returns the frame and the item definitions by code (newest version first), which
    carry the labels. `codes` limits the items (default: every item of the versions the
    responses were given in).
    """
    scope = _resolve(waves, districts)
    definitions = _all_definitions()
    by_code = _items_by_code(definitions)
    chosen = [code for code in by_code if codes is None or code in codes]
    numeric = {code for code in chosen if by_code[code][0][1].kind in ("likert", "single", "yes_no", "number")}
    raw = _fetch([_Wanted(code, code in numeric) for code in chosen], scope)
    order = _order(raw)
    checklist_ids = raw["checklist_id"].to_numpy(dtype="float64")
    used = {int(pk) for pk in np.unique(checklist_ids[~np.isnan(checklist_ids)])}
    in_use = {code for pk in used for code in definitions[pk].by_code}
    frame: dict[str, object] = {
        "wave": _codes_of(_take(raw["wave_id"], order), scope.wave_codes),
        "district": _codes_of(_take(raw["district_id"], order), scope.district_codes),
        "channel": _take(raw["channel"], order),
    }
    for score in (*SCORE_COLUMNS, "sdg_safe"):
        frame[score] = _take(raw[score].to_numpy(dtype="float64"), order)
    kept = [code for code in chosen if code in in_use or not used]
    for code in kept:
        column = _take(raw[_RAW + code], order)
        if code in numeric and by_code[code][0][1].kind != "number":
            column = pd.array(column, dtype="Int64")
        frame[code] = column
    return pd.DataFrame(frame), {code: by_code[code][0][1] for code in kept}


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
