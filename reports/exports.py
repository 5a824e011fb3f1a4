"""Analysts' exports: the anonymised microdata of a wave and the aggregate tables.

Microdata (CSV, XLSX, SPSS .sav): one row per committed response with the district code,
the channel, every answer by item code, the scores and the response's raking weight
(METHOD.md §4.1). Free text (the place note) is dropped and nothing identifies a
resident: no id, no client id, no date finer than the wave, and the rows are shuffled so
that their order does not tell when each was given. Labels in the chosen language: the
SPSS file carries variable and value labels, the XLSX a codebook sheet; the CSV holds
codes only (the codebook is the same as in the XLSX).

Aggregate tables (CSV, XLSX): the published figures (the wave's snapshot, METHOD.md
§4.10) of each district and of the region with suppression applied (§4.8): a suppressed
cell says "fewer than 10 responses", never a number. Microdata are read live: only analysts
export them, and they see the answers anyway.

Every text cell that a spreadsheet would read as a formula (=, +, -, @, tab, carriage
return first) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override

from checklist.definition import ItemDef, definition_for, pick
from checklist.models import Checklist, District, translated
from surveys.models import Wave

from . import aggregation
from .data import load_answers, population
from .figures import REGION, as_wave, reporting_units
from .fingerprint import scope_code
from .models import Snapshot
from .rendering import RenderedFile
from .snapshots import published, results_of

FORMATS = ("microdata_csv", "microdata_xlsx", "microdata_sav", "tables_csv", "tables_xlsx")
UNKNOWN_FORMAT = "Unknown export format {format!r}: use one of " + ", ".join(FORMATS) + "."
FREE_TEXT_KINDS = ("text",)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SCORE_LABELS = {
    "feeling": gettext_lazy("Perceived-safety index (0–100)"),
    "environment": gettext_lazy("Conditions in the area (0–100)"),
    "police": gettext_lazy("Police and community (0–100)"),
    "overall": gettext_lazy("Overall checklist score (0–100)"),
    "sdg_safe": gettext_lazy("Feels safe walking alone after dark (SDG 16.1.4)"),
}


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(neutralise, na_action="ignore").astype(object)
    return out


# ---------------------------------------------------------------------------
# Microdata
# ---------------------------------------------------------------------------


def microdata(*, scope: str | District, wave: Wave | str, language: str) -> tuple[pd.DataFrame, dict, dict]:
    """The microdata frame, its variable labels and its value labels ({column: {code: label}})."""
    wave = as_wave(wave)
    code = scope_code(scope)
    frame, items = load_answers(waves=[wave.code])
    pop = population()
    if len(frame):
        known = frame["district"].isin(list(pop))
        weights = np.full(len(frame), np.nan)
        if known.any():
            part = frame[known].copy()
            # Raking needs age group and sex as in load_frame: option values, missing as NA.
            part["age_group"] = _category(part.get("age_group"), items.get("age_group"))
            part["sex"] = _category(part.get("sex"), items.get("sex"))
            district_w = aggregation.district_weights(part, pop).to_numpy()
            weights[known.to_numpy()] = district_w
            region_w = np.full(len(frame), np.nan)
            region_w[known.to_numpy()] = aggregation.region_weights(part, pop, district_w).to_numpy()
        else:
            region_w = weights.copy()
    else:
        weights, region_w = np.empty(0), np.empty(0)
    if code != REGION:
        keep = (frame["district"] == code).to_numpy()
        frame, weights, region_w = frame[keep].reset_index(drop=True), weights[keep], region_w[keep]

    # Every label in the chosen language, district names too (not the language of the request).
    names = {c: translated(d, "name", language) for c, d in reporting_units().items()}
    current = Checklist.current()
    numbers = definition_for(current).numbers if current else {}
    with override(language):
        out: dict[str, Any] = {
            "wave": frame["wave"].astype(object),
            "district": frame["district"].astype(object),
            "district_name": frame["district"].map(names).astype(object),
            "channel": frame["channel"].astype(object),
        }
        labels = {
            "wave": _("Survey wave"),
            "district": _("District (code)"),
            "district_name": _("District"),
            "channel": _("Channel: online or paper"),
        }
        values: dict[str, dict] = {}
        for item_code, item in items.items():
            if item.kind in FREE_TEXT_KINDS:
                continue  # never export free text (METHOD.md §4.8)
            # The question's number as the form, the sheet and the keying screen show it.
            question = pick(item.text, language)
            if item_code in numbers:
                question = f"{numbers[item_code]}. {question}"
            if item.kind == "multiple":
                for option in item.options:
                    column = f"{item_code}_{option.value}"
                    out[column] = frame[item_code].map(
                        lambda v, value=option.value: np.nan if pd.isna(v) else float(str(value) in _listed(v))
                    )
                    labels[column] = f"{question} — {option.text(language)}"
                    values[column] = {1: _("Yes"), 0: _("No")}
                continue
            out[item_code] = frame[item_code]
            labels[item_code] = question
            if item.has_options:
                values[item_code] = {option.value: option.text(language) for option in item.options}
        for score, label in SCORE_LABELS.items():
            out[score] = frame[score]
            labels[score] = str(label)
        values["sdg_safe"] = {1: _("Yes"), 0: _("No")}
        out["weight"] = weights
        labels["weight"] = _("Weight: raking to the district's age and sex margins (sums to n in each district)")
        out["weight_region"] = region_w
        labels["weight_region"] = _("Weight for region figures (each district by its adult population)")
        result = pd.DataFrame(out)
    # Shuffle (deterministically) so the order of rows says nothing about when they came.
    seed = int(hashlib.sha256(f"{wave.code}|{code}".encode()).hexdigest()[:8], 16)
    order = np.random.default_rng(seed).permutation(len(result))
    result = result.iloc[order].sort_values(["district", "channel"], kind="stable").reset_index(drop=True)
    return result, labels, values


def _category(column, item: ItemDef | None):
    if column is None:
        return pd.array([pd.NA] * 0, dtype="Int64")
    valid = {o.value for o in item.options if not o.missing} if item else set()
    numbers = pd.to_numeric(pd.Series(column), errors="coerce")
    return pd.array(numbers.where(numbers.isin(valid)), dtype="Int64")


def _listed(value) -> list[str]:
    import json

    try:
        return [str(v) for v in json.loads(value)]
    except (TypeError, ValueError):
        return []


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    _neutralise_frame(frame).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    # A byte-order mark so that Excel reads Cyrillic and Kazakh letters as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(sheets: list[tuple[str, pd.DataFrame]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    for title, frame in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        header = []
        for name in frame.columns:
            cell = WriteOnlyCell(sheet, value=neutralise(str(name)))
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        columns = [_cells(frame[name]) for name in frame.columns]
        for row in zip(*columns, strict=True) if columns else ():
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cells(series: pd.Series) -> list:
    """Plain Python values for openpyxl: None for missing, texts neutralised."""
    values = series.astype(object).where(series.notna(), None).tolist()
    out = []
    for value in values:
        if isinstance(value, str):
            out.append(neutralise(value))
        elif isinstance(value, (np.integer,)):
            out.append(int(value))
        elif isinstance(value, (np.floating, float)):
            out.append(None if np.isnan(value) else float(value))
        else:
            out.append(value)
    return out


def _codebook(frame: pd.DataFrame, labels: dict, values: dict, language: str) -> pd.DataFrame:
    with override(language):
        rows = []
        for column in frame.columns:
            rows.append({_("Variable"): column, _("Label"): labels.get(column, ""), _("Value"): None,
                         _("Value label"): None})
            for value, label in (values.get(column) or {}).items():
                rows.append({_("Variable"): column, _("Label"): None, _("Value"): value, _("Value label"): label})
        return pd.DataFrame(rows)


def _sav(frame: pd.DataFrame, labels: dict, values: dict) -> bytes:
    import pyreadstat

    data = frame.copy()
    for column in data.columns:
        if str(data[column].dtype) in ("Int64", "Float64", "boolean"):
            data[column] = data[column].astype("float64")
        elif data[column].dtype == object or pd.api.types.is_string_dtype(data[column].dtype):
            data[column] = data[column].astype(object).where(data[column].notna(), "")
    value_labels = {c: {float(k): str(v) for k, v in v.items()} for c, v in values.items() if c in data.columns
                    and pd.api.types.is_numeric_dtype(data[c].dtype)}
    handle, path = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(
            data, path,
            column_labels=[str(labels.get(c, ""))[:255] for c in data.columns],
            variable_value_labels=value_labels,
        )
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


# ---------------------------------------------------------------------------
# Aggregate tables
# ---------------------------------------------------------------------------


def aggregate_tables(*, scope: str | District, wave: Wave | str, language: str, results=None,
                     snapshot: Snapshot | None = None) -> list[tuple[str, pd.DataFrame]]:
    """The published figures of the region and each district (or of one district), from
    `results`, else `snapshot`, else the wave's latest snapshot; suppression applied: a
    suppressed cell holds "fewer than N responses", never a number."""
    wave = as_wave(wave)
    code = scope_code(scope)
    with override(language):
        results = results or results_of(snapshot or published(wave))
        figures = results.figures
        suppressed = ngettext("fewer than %(n)d response", "fewer than %(n)d responses",
                              results.min_cell) % {"n": results.min_cell}
        units = [(REGION, figures["region"])] + sorted(figures["districts"].items())
        if code != REGION:
            units = [(c, u) for c, u in units if c == code]
        names = {c: d.name for c, d in results.districts.items()} | {REGION: _("Region")}

        def cell(est: dict | None, key: str, scale: float = 1.0):
            if not est:
                return None
            if est.get("suppressed"):
                return suppressed
            value = est.get(key)
            return None if value is None else round(value * scale, 6)

        main, drivers, victims, places, channels = [], [], [], [], []
        for unit_code, unit in units:
            row: dict[str, Any] = {_("Code"): unit_code, _("Name"): names.get(unit_code, unit_code),
                                   _("Responses"): suppressed if unit.get("suppressed") else unit.get("n")}
            for block in results.figures["blocks"]:
                b = unit.get(block) or {}
                tag = _("weighted") if block == "weighted" else _("unweighted")
                row[f"n_eff ({tag})"] = suppressed if unit.get("suppressed") else _round(b.get("n_eff"))
                for key, label in (("index", _("Index")), ("environment", _("Conditions")),
                                   ("police", _("Police")), ("overall", _("Overall"))):
                    for part, name in _parts(label, tag):
                        row[name] = cell(b.get(key), part)
                for part, name in _parts(_("Feel safe after dark, %"), tag):
                    row[name] = cell(b.get("sdg"), part, 100)
                change = b.get("change") or {}
                for key, label, scale in (("index", _("Change in index"), 1),
                                          ("sdg", _("Change in feel safe, points"), 100)):
                    est = change.get(key)
                    for part, name in _parts(label, tag, value="diff"):
                        row[name] = cell(est, part, scale)
                    row[_("%(figure)s, significant (%(weighting)s)") % {"figure": label, "weighting": tag}] = (
                        suppressed if est and est.get("suppressed") else (est or {}).get("significant"))
                if block != results.figures["primary"]:
                    continue
                for d in b.get("drivers") or []:
                    share = d.get("unfavourable_share")
                    drivers.append({_("Code"): unit_code, _("Item"): d["item"],
                                    _("Correlation"): suppressed if d.get("suppressed") else _round(d["correlation"]),
                                    _("Unfavourable, %"): cell(share, "value", 100),
                                    _("Unfavourable low, %"): cell(share, "low", 100),
                                    _("Unfavourable high, %"): cell(share, "high", 100),
                                    _("Priority"): d.get("priority")})
                for v in b.get("victimisation") or []:
                    victims.append({_("Code"): unit_code, _("Type"): v["type"],
                                    _("Victims, %"): cell(v.get("share"), "value", 100),
                                    _("Victims low, %"): cell(v.get("share"), "low", 100),
                                    _("Victims high, %"): cell(v.get("share"), "high", 100),
                                    _("Reported, %"): cell(v.get("reported"), "value", 100),
                                    _("Reported low, %"): cell(v.get("reported"), "low", 100),
                                    _("Reported high, %"): cell(v.get("reported"), "high", 100)})
                for channel, c in (b.get("by_channel") or {}).items():
                    channels.append({_("Code"): unit_code, _("Channel"): channel,
                                     _("Responses"): suppressed if c.get("suppressed") else c.get("n"),
                                     _("Index"): cell(c.get("index"), "value"),
                                     _("Feel safe after dark, %"): cell(c.get("sdg"), "value", 100)})
            main.append(row)
            p = unit.get("places") or {}
            for kind, key in (("type", "types"), ("route", "routes")):
                for entry in p.get(key) or []:
                    places.append({_("Code"): unit_code, _("Kind"): kind, _("Place or route"): entry["code"],
                                   _("Respondents"): entry["count"]})
                if p.get(f"{key}_hidden"):
                    places.append({_("Code"): unit_code, _("Kind"): kind, _("Place or route"): _("others"),
                                   _("Respondents"): suppressed})
        return [
            (_("Districts"), pd.DataFrame(main)),
            (_("Key drivers"), pd.DataFrame(drivers)),
            (_("Victimisation"), pd.DataFrame(victims)),
            (_("Channels"), pd.DataFrame(channels)),
            (_("Places"), pd.DataFrame(places)),
        ]


def _parts(label: str, tag: str, value: str = "value") -> list[tuple[str, str]]:
    """Column names of a figure and its interval: "Index (weighted)", "Index, lower bound
    (weighted)", "Index, upper bound (weighted)"."""
    names = {"figure": label, "weighting": tag}
    return [
        (value, _("%(figure)s (%(weighting)s)") % names),
        ("low", _("%(figure)s, lower bound (%(weighting)s)") % names),
        ("high", _("%(figure)s, upper bound (%(weighting)s)") % names),
    ]


def _round(value):
    return None if value is None else round(float(value), 6)


# ---------------------------------------------------------------------------
# The jobs' entry point
# ---------------------------------------------------------------------------


def render_exports(
    *,
    scope: str | District,
    wave: Wave | str,
    language: str,
    formats: Iterable[str],
    progress: Callable[[int], None] | None = None,
    snapshot: Snapshot | None = None,
) -> list[tuple[str, RenderedFile]]:
    """[(format, file)] for each export format asked for (see FORMATS); the aggregate tables
    from `snapshot` (default: the wave's latest)."""
    formats = list(formats)
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(UNKNOWN_FORMAT.format(format=fmt))
    progress = progress or (lambda percent: None)
    wave = as_wave(wave)
    code = scope_code(scope)
    stem = f"{code if code != REGION else 'region'}-{wave.code}-{language}"
    files: list[tuple[str, RenderedFile]] = []
    steps = len(formats) + 1
    done = 0

    def step():
        nonlocal done
        done += 1
        progress(int(100 * done / steps))

    if any(f.startswith("microdata") for f in formats):
        frame, labels, values = microdata(scope=scope, wave=wave, language=language)
        step()
        for fmt in formats:
            if fmt == "microdata_csv":
                files.append((fmt, RenderedFile(f"safety-microdata-{stem}.csv", "text/csv; charset=utf-8",
                                                _csv(frame))))
            elif fmt == "microdata_xlsx":
                with override(language):
                    sheets = [(_("Data"), frame), (_("Codebook"), _codebook(frame, labels, values, language))]
                files.append((fmt, RenderedFile(f"safety-microdata-{stem}.xlsx", XLSX, _xlsx(sheets))))
            elif fmt == "microdata_sav":
                files.append((fmt, RenderedFile(f"safety-microdata-{stem}.sav", "application/x-spss-sav",
                                                _sav(frame, labels, values))))
            else:
                continue
            step()
    if any(f.startswith("tables") for f in formats):
        tables = aggregate_tables(scope=scope, wave=wave, language=language, snapshot=snapshot)
        for fmt in formats:
            if fmt == "tables_csv":
                files.append((fmt, RenderedFile(f"safety-tables-{stem}.csv", "text/csv; charset=utf-8",
                                                _csv(tables[0][1]))))
            elif fmt == "tables_xlsx":
                files.append((fmt, RenderedFile(f"safety-tables-{stem}.xlsx", XLSX, _xlsx(tables))))
            else:
                continue
            step()
    progress(100)
    return files
