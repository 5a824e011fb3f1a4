"""The district and region reports: one template, rendered as HTML and, through WeasyPrint,
as PDF (STYLE.md rule 6: aggregation returns data, charts return SVG, this lays them out).

`render_report(scope=..., wave=..., language=..., formats=...)` returns the files, made
from the wave's published figures (its latest snapshot, or the one given: METHOD.md §4.10,
reports.snapshots). It computes no figure.

Every number goes through `_Formatter`, which prints a suppressed figure (METHOD.md §4.8)
as "fewer than 10 responses" and never as a number.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override, pgettext

from checklist.definition import pick
from checklist.models import District
from surveys.models import Wave

from . import charts
from .figures import REGION, WEIGHTED, WaveResults, as_wave
from .fingerprint import code_version, input_fingerprint, scope_code
from .models import Snapshot
from .snapshots import published, results_of

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("html", "pdf")
UNKNOWN_FORMAT = "Unknown report format {format!r}: use html or pdf."
UNKNOWN_SCOPE = "Unknown scope {scope!r}: use 'region' or the code of a district residents answer for."

# Short names of the victimisation types (METHOD.md §2 D); an unknown type is labelled by
# its question.
VICTIM_LABELS = {
    "burglary": gettext_lazy("Burglary of the home"),
    "transport_theft": gettext_lazy("Theft on public transport"),
    "fraud": gettext_lazy("Fraud by phone or internet"),
    "assault_hooliganism": gettext_lazy("Assault, threats or hooliganism"),
}
SCORE_LABELS = {
    "index": gettext_lazy("Perceived-safety index"),
    "environment": gettext_lazy("Conditions in the area"),
    "police": gettext_lazy("Police and community"),
    "overall": gettext_lazy("Overall checklist score"),
}
CHANNEL_LABELS = {"online": gettext_lazy("Online"), "paper": gettext_lazy("Paper")}


@dataclass(frozen=True)
class RenderedFile:
    filename: str
    mimetype: str
    content: bytes


# ---------------------------------------------------------------------------
# Provenance: the input fingerprint, the settings and the code version (reports/fingerprint.py,
# which the web process imports without this module's numpy, pandas and matplotlib).
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------


def statement_list_text(labels: list[str]) -> str:
    """Checklist statements (each a sentence with its full stop) as one line: "A; B; C."."""
    return "; ".join(label.strip().rstrip(".") for label in labels) + "." if labels else ""


class _Formatter:
    """Numbers as the report prints them in the active language; a suppressed figure is
    the `suppressed` text, never a number (METHOD.md §4.8)."""

    def __init__(self, min_cell: int):
        self.min_cell = min_cell
        self.suppressed = ngettext(
            "fewer than %(n)d response", "fewer than %(n)d responses", min_cell
        ) % {"n": min_cell}
        self.suppressed_short = pgettext("map tile", "n<%(n)d") % {"n": min_cell}
        self.dash = "–"

    def count(self, n) -> str:
        return number_format(int(n), 0, force_grouping=True)

    def decimal(self, value: float, places: int = 1) -> str:
        return number_format(round(value, places), places)

    def score(self, est: dict | None) -> str:
        """An index or sub-score 0–100: "61.4 (59.0–63.8)"."""
        if not est or est.get("suppressed"):
            return self.suppressed
        if est.get("value") is None:
            return self.dash
        text = self.decimal(est["value"])
        if est.get("low") is not None and est.get("high") is not None:
            text += f" ({self.decimal(est['low'])}–{self.decimal(est['high'])})"
        return text

    def share(self, est: dict | None, *, interval: bool = True) -> str:
        """A share 0–1 as a percentage: "61% (56–66%)"."""
        if not est or est.get("suppressed"):
            return self.suppressed
        if est.get("value") is None:
            return self.dash
        text = self.percent(est["value"])
        if interval and est.get("low") is not None and est.get("high") is not None:
            text += f" ({self.percent_number(est['low'])}–{self.percent(est['high'])})"
        return text

    def percent_number(self, share: float) -> str:
        return number_format(round(share * 100), 0)

    def percent(self, share: float) -> str:
        return _("%(value)s%%") % {"value": self.percent_number(share)}

    def change(self, change: dict | None, *, points: bool) -> str:
        """A change between waves: "+4.0 (2.3 to 5.7)"; shares in percentage points."""
        if change is None:
            return self.dash
        if change.get("suppressed"):
            return self.suppressed
        if change.get("diff") is None:
            return self.dash
        scale = 100 if points else 1
        diff, low, high = (change[k] * scale for k in ("diff", "low", "high"))
        sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
        return _("%(sign)s%(diff)s (%(low)s to %(high)s)") % {
            "sign": sign, "diff": self.decimal(abs(diff)), "low": self._signed(low), "high": self._signed(high)
        }

    def _signed(self, value: float) -> str:
        return ("−" if value < 0 else "") + self.decimal(abs(value))

    def significance(self, change: dict | None) -> str:
        if not change or change.get("suppressed") or change.get("significant") is None:
            return ""
        return _("significant") if change["significant"] else _("not significant")


# ---------------------------------------------------------------------------
# The plain-language summary
# ---------------------------------------------------------------------------


def summary_sentence(name: str, unit: dict, previous: Wave | None, fmt: _Formatter) -> str:
    """"In Kazybek Bi district 61% (56–66%) feel safe walking alone after dark, up 7 points
    since 2019." in the active language; says so when the figures are suppressed."""
    block = unit.get("weighted") or unit.get("unweighted") or {}
    sdg = block.get("sdg")
    if unit.get("suppressed") or not sdg or sdg.get("suppressed") or sdg.get("value") is None:
        return capfirst(_("%(name)s: %(suppressed)s in this wave, too few to report figures.") % {
            "name": name, "suppressed": fmt.suppressed})
    sentence = _("In %(name)s %(share)s (%(low)s–%(high)s) feel safe walking alone after dark") % {
        "name": name,
        # Kazakh adds the possessive to the share of residents ("тұрғындардың 61%-ы").
        "share": pgettext("share of residents", "%(value)s%%") % {"value": fmt.percent_number(sdg["value"])},
        "low": fmt.percent_number(sdg["low"]),
        "high": fmt.percent(sdg["high"]),
    }
    change = (block.get("change") or {}).get("sdg")
    if previous is not None and change and not change.get("suppressed") and change.get("diff") is not None:
        # Whole points of the change as the table prints it (to 0.1 point): the sentence and
        # the table agree, from the published figure (0.1 point) as from an unrounded one.
        points = round(round(abs(change["diff"]) * 100, 1))
        wave = previous.name
        if not change["significant"]:
            clause = _("about the same as in %(wave)s") % {"wave": wave}
        elif points == 0:
            clause = (_("up by less than a point since %(wave)s") if change["diff"] > 0
                      else _("down by less than a point since %(wave)s")) % {"wave": wave}
        elif change["diff"] > 0:
            clause = ngettext("up %(points)d point since %(wave)s", "up %(points)d points since %(wave)s",
                              points) % {"points": points, "wave": wave}
        else:
            clause = ngettext("down %(points)d point since %(wave)s", "down %(points)d points since %(wave)s",
                              points) % {"points": points, "wave": wave}
        sentence = _("%(sentence)s, %(change)s") % {"sentence": sentence, "change": clause}
    return capfirst(sentence) + "."


# ---------------------------------------------------------------------------
# Building the page
# ---------------------------------------------------------------------------


def _inline(svg: bytes) -> str:
    """An SVG document as markup to put inside HTML (no XML prolog or doctype)."""
    text = svg.decode()
    start = text.find("<svg")
    text = text[start:]
    return mark_safe(text)  # our own matplotlib output, with our own labels escaped by it


def _short_name(district: District, language: str) -> str:
    """A district's name without the generic word, for map tiles ("Абайский", "Қазыбек би")."""
    name = district.name
    patterns = {
        "ru": [r"^район имени\s+", r"^район\s+", r"\s+район$"],
        "kk": [r"\s+ауданы$"],
        "en": [r"\s+district$"],
    }
    for pattern in patterns.get(language, []):
        name = re.sub(pattern, "", name, flags=re.IGNORECASE)
    return capfirst(name.strip())


class _Builder:
    """Turns WaveResults into the template's context, in the active language."""

    def __init__(self, results: WaveResults, language: str, progress: Callable[[int], None]):
        self.r = results
        self.language = language
        self.fmt = _Formatter(results.min_cell)
        self.progress = progress
        self.block = results.figures["primary"]
        definition = results.definition
        self.items = definition.by_code if definition else {}

    # -- labels
    def item_label(self, code: str) -> str:
        item = self.items.get(code)
        return pick(item.text, self.language) if item else code

    def option_label(self, code: str, value) -> str:
        item = self.items.get(code)
        option = item.option(int(value)) if item else None
        return option.text(self.language) if option else str(value)

    def victim_label(self, kind: str) -> str:
        if kind in VICTIM_LABELS:
            return str(VICTIM_LABELS[kind])
        return self.item_label(f"vic_{kind}")

    def name(self, code: str) -> str:
        """A unit's name as a sentence uses it. District names are stored that way ("район имени
        Казыбек би" is written in lower case inside Russian text), and so is the region's here."""
        if code == REGION:
            return _("the region as a whole")
        district = self.r.districts.get(code)
        return district.name if district else code

    def title(self, code: str) -> str:
        """A unit's name as a heading or a label shows it: the cover, a section, a table row, a
        chart's axis, in every language."""
        return capfirst(self.name(code))

    # -- pieces
    def scores(self, unit: dict) -> list[dict]:
        rows = []
        for key, label in SCORE_LABELS.items():
            rows.append({
                "label": str(label),
                "weighted": self.fmt.score(unit.get("weighted", {}).get(key)) if WEIGHTED else None,
                "unweighted": self.fmt.score(unit.get("unweighted", {}).get(key)),
                "headline": key == "index",
            })
        rows.append({
            "label": _("Feel safe walking alone after dark (SDG 16.1.4)"),
            "weighted": self.fmt.share(unit.get("weighted", {}).get("sdg")) if WEIGHTED else None,
            "unweighted": self.fmt.share(unit.get("unweighted", {}).get("sdg")),
            "headline": True,
        })
        return rows

    def changes(self, unit: dict) -> list[dict]:
        change = unit.get(self.block, {}).get("change")
        if self.r.previous is None or change is None:
            return []
        return [
            {"label": str(SCORE_LABELS["index"]), "value": self.fmt.change(change.get("index"), points=False),
             "significance": self.fmt.significance(change.get("index")), "unit": _("points of 100")},
            {"label": _("Feel safe after dark"), "value": self.fmt.change(change.get("sdg"), points=True),
             "significance": self.fmt.significance(change.get("sdg")), "unit": _("percentage points")},
        ]

    def channels(self, unit: dict) -> list[dict]:
        rows = []
        for channel, figures in (unit.get(self.block, {}).get("by_channel") or {}).items():
            rows.append({
                "label": str(CHANNEL_LABELS.get(channel, channel)),
                "n": self.fmt.suppressed if figures.get("suppressed") else self.fmt.count(figures["n"]),
                "index": self.fmt.score(figures.get("index")),
                "sdg": self.fmt.share(figures.get("sdg")),
            })
        return rows

    def drivers(self, unit: dict) -> tuple[list[dict], str | None]:
        rows, chart_rows = [], []
        for number, driver in enumerate(unit.get(self.block, {}).get("drivers") or [], 1):
            suppressed = driver.get("suppressed") or driver.get("correlation") is None
            share = driver.get("unfavourable_share") or {}
            rows.append({
                "number": number,
                "label": self.item_label(driver["item"]),
                "correlation": self.fmt.suppressed if driver.get("suppressed") else (
                    self.fmt.dash if driver.get("correlation") is None else self.fmt.decimal(driver["correlation"], 2)),
                "unfavourable": self.fmt.share(share),
                "priority": driver.get("priority"),
            })
            chart_rows.append(charts.DriverRow(
                label=str(number),
                correlation=None if suppressed else driver["correlation"],
                unfavourable=None if share.get("suppressed") else share.get("value"),
                priority=bool(driver.get("priority")),
            ))
        if not chart_rows or all(r.correlation is None for r in chart_rows):
            return rows, None
        svg = charts.drivers(
            chart_rows,
            correlation_label=_("Correlation with the perceived-safety index"),
            unfavourable_label=_("Share answering unfavourably"),
            priority_label=_("Priorities"),
        )
        return rows, _inline(svg)

    def victimisation(self, unit: dict) -> list[dict]:
        return [
            {
                "label": self.victim_label(row["type"]),
                "share": self.fmt.share(row.get("share")),
                "reported": self.fmt.share(row.get("reported")) if row.get("reported") is not None else self.fmt.dash,
            }
            for row in unit.get(self.block, {}).get("victimisation") or []
        ]

    def places(self, unit: dict) -> dict:
        places = unit.get("places") or {}
        types = [(self.option_label("unsafe_place_type", p["code"]), p["count"]) for p in places.get("types") or []]
        routes = [(_("Route %(route)s") % {"route": p["code"]}, p["count"]) for p in places.get("routes") or []]
        hidden_types = _("Other places: %(suppressed)s each.") % {"suppressed": self.fmt.suppressed}
        hidden_routes = _("Other routes: %(suppressed)s each.") % {"suppressed": self.fmt.suppressed}
        out = {
            "types": [{"label": label, "count": self.fmt.count(n)} for label, n in types],
            "routes": [{"label": label, "count": self.fmt.count(n)} for label, n in routes],
            "types_note": hidden_types if places.get("types_hidden") else "",
            "routes_note": hidden_routes if places.get("routes_hidden") else "",
            "total": self.fmt.suppressed if places.get("types_total_suppressed") else (
                self.fmt.count(places["types_total"]) if places.get("types_total") is not None else self.fmt.dash),
            "types_chart": None,
            "routes_chart": None,
        }
        if types:
            out["types_chart"] = _inline(charts.counts(types, axis_label=_("Respondents naming the place"),
                                                       name="places"))
        if routes:
            out["routes_chart"] = _inline(charts.counts(routes, axis_label=_("Respondents naming the route"),
                                                        name="routes"))
        return out

    def trend_chart(self, code: str) -> str | None:
        points = self.r.trend["region"] if code == REGION else self.r.trend["districts"].get(code)
        if not points or len(points) < 2:
            return None
        if all(p.get("suppressed") or p["index"].get("value") is None for p in points):
            return None

        def series(label, key, scale):
            values, lows, highs = [], [], []
            for p in points:
                est = p.get(key) or {}
                shown = not p.get("suppressed") and not est.get("suppressed") and est.get("value") is not None
                values.append(est["value"] * scale if shown else None)
                lows.append(est["low"] * scale if shown and est.get("low") is not None else None)
                highs.append(est["high"] * scale if shown and est.get("high") is not None else None)
            return charts.Series(label, values, lows, highs)

        names = {w.code: w.name for w in self.r.waves}
        svg = charts.trend(
            [names.get(p["wave"], p["wave"]) for p in points],
            [series(_("Index (0–100)"), "index", 1), series(_("Feel safe after dark, %"), "sdg", 100)],
            axis_label=_("0–100 / %"),
            suppressed=self.fmt.suppressed,
        )
        return _inline(svg)

    def distribution_charts(self, code: str) -> list[str]:
        shares = self.r.distributions.get(code) or {}
        out = []
        for number, scale in enumerate(self.r.scales):
            if not any(item in shares for item in scale.items):
                continue
            rows = [charts.Distribution(self.item_label(item), shares.get(item)) for item in scale.items]
            if all(row.shares is None for row in rows):
                continue
            svg = charts.distribution(
                rows, categories=[pick(label, self.language) for label in scale.labels],
                suppressed=self.fmt.suppressed, name=f"dist{number}",
            )
            out.append(_inline(svg))
        return out

    def by_district_chart(self, highlight: str | None = None) -> str:
        rows = []
        for code, unit in sorted(self.r.figures["districts"].items()):
            est = unit.get(self.block, {}).get("index") or {}
            shown = not unit.get("suppressed") and not est.get("suppressed") and est.get("value") is not None
            rows.append(charts.Interval(
                label=self.title(code),
                value=est["value"] if shown else None,
                low=est.get("low") if shown else None,
                high=est.get("high") if shown else None,
                highlight=code == highlight,
            ))
        region = self.r.figures["region"].get(self.block, {}).get("index") or {}
        reference = None if region.get("suppressed") else region.get("value")
        svg = charts.intervals(
            rows,
            axis_label=_("Perceived-safety index (0–100) with 95%% interval") % {},
            suppressed=self.fmt.suppressed,
            reference=reference,
            reference_label=(_("Region: %(value)s") % {"value": self.fmt.decimal(reference)}) if reference is not None
            else "",
        )
        return _inline(svg)

    def map_chart(self) -> str:
        areas = []
        for code, unit in sorted(self.r.figures["districts"].items()):
            district = self.r.districts.get(code)
            sdg = unit.get(self.block, {}).get("sdg") or {}
            shown = not unit.get("suppressed") and not sdg.get("suppressed") and sdg.get("value") is not None
            areas.append(charts.MapArea(
                code=code,
                label=_short_name(district, self.language) if district else code,
                row=district.tile_row if district else None,
                col=district.tile_col if district else None,
                share=sdg["value"] if shown else None,
                boundary=district.boundary if district else None,
            ))
        svg = charts.region_map(areas, legend_label=_("Feel safe walking alone after dark"),
                                suppressed_short=self.fmt.suppressed_short)
        return _inline(svg)

    def unit(self, code: str, *, with_comparison: bool = False) -> dict:
        """Everything one section (a district or the whole region) shows."""
        unit = self.r.figures["region"] if code == REGION else self.r.figures["districts"].get(code)
        name = self.name(code)
        if unit is None:
            unit = {"code": code, "n": None, "suppressed": True}
        suppressed = bool(unit.get("suppressed"))
        block = unit.get(self.block) or {}
        section = {
            "code": code,
            "anchor": "unit-" + re.sub(r"[^a-zA-Z0-9-]", "", code),
            "name": self.title(code),
            "suppressed": suppressed,
            "summary": summary_sentence(name, unit, self.r.previous, self.fmt),
        }
        if suppressed:
            return section
        rake = unit.get("rake") or {}
        section.update({
            "n": self.fmt.count(unit["n"]),
            "n_eff": self.fmt.count(round(block["n_eff"])) if block.get("n_eff") else self.fmt.dash,
            "deff": self.fmt.decimal(block["deff"], 2) if block.get("deff") else self.fmt.dash,
            "scores": self.scores(unit),
            "changes": self.changes(unit),
            "channels": self.channels(unit),
            "victimisation": self.victimisation(unit),
            "places": self.places(unit),
            "trend": self.trend_chart(code),
            "distributions": self.distribution_charts(code),
            "weighting_note": bool(rake.get("flagged")) or any("collapsed" in n for n in rake.get("notes") or []),
            "comparison": self.by_district_chart(highlight=code) if with_comparison else None,
        })
        section["drivers"], section["drivers_chart"] = self.drivers(unit)
        section["priorities"] = statement_list_text([row["label"] for row in section["drivers"] if row["priority"]])
        return section

    def ranking(self) -> list[dict]:
        rows = []
        for code, unit in self.r.figures["districts"].items():
            block = unit.get(self.block) or {}
            index = block.get("index") or {}
            shown = not unit.get("suppressed") and not index.get("suppressed") and index.get("value") is not None
            rows.append({
                "code": code,
                "anchor": "unit-" + re.sub(r"[^a-zA-Z0-9-]", "", code),
                "name": self.title(code),
                "n": self.fmt.suppressed if unit.get("suppressed") else self.fmt.count(unit["n"]),
                "index": self.fmt.score(index),
                "sdg": self.fmt.share(block.get("sdg")),
                "change": self.fmt.change((block.get("change") or {}).get("sdg"), points=True)
                if self.r.previous else None,
                "significant": bool(((block.get("change") or {}).get("sdg") or {}).get("significant")),
                "sort": index["value"] if shown else None,
            })
        rows.sort(key=lambda r: (r["sort"] is None, -(r["sort"] or 0), r["name"]))
        for rank, row in enumerate(rows, 1):
            row["rank"] = rank if row["sort"] is not None else ""
        return rows


def report_context(
    *,
    scope: str | District,
    wave: Wave | str,
    language: str,
    progress: Callable[[int], None] | None = None,
    snapshot: Snapshot | None = None,
) -> dict[str, Any]:
    """The template context of a report, from `snapshot` (default: the wave's latest;
    snapshots.NotPublished when it has none)."""
    progress = progress or (lambda percent: None)
    code = scope_code(scope)
    snapshot = snapshot or published(as_wave(wave))
    with override(language):
        results = results_of(snapshot)
        progress(10)
        if code != REGION and code not in results.districts:
            raise ValueError(UNKNOWN_SCOPE.format(scope=code))
        return _context(results, code, language, progress, snapshot=snapshot)


def _context(
    results: WaveResults, code: str, language: str, progress: Callable[[int], None], snapshot: Snapshot | None = None
) -> dict[str, Any]:
    """The context of a report of `results`: a snapshot's (its provenance is stamped), or
    figures computed live (bench/render.py times the layout with them)."""
    builder = _Builder(results, language, progress)
    fingerprint = snapshot.fingerprint if snapshot else input_fingerprint(scope=code, wave=results.wave)
    generated = timezone.localtime()
    context: dict[str, Any] = {
        "language": language,
        "scope": code,
        "is_region": code == REGION,
        "wave": results.wave,
        "previous": results.previous,
        "generated": generated,
        "fingerprint": fingerprint,
        "snapshot": snapshot,
        "code_version": snapshot.code_version if snapshot and snapshot.code_version else code_version(),
        "min_cell": results.min_cell,
        "suppressed_text": builder.fmt.suppressed,
        "weighted": WEIGHTED,
        "checklist_version": results.definition.version if results.definition else None,
        "title": _("Community safety survey"),
    }
    if code == REGION:
        context["scope_name"] = _region_name()
        context["region"] = builder.unit(REGION)
        progress(45)
        context["ranking"] = builder.ranking()
        context["map"] = builder.map_chart()
        context["by_district"] = builder.by_district_chart()
        progress(50)
        sections = []
        codes = sorted(results.districts, key=lambda c: builder.title(c))
        for number, district in enumerate(codes, 1):
            sections.append(builder.unit(district))
            progress(50 + int(40 * number / max(len(codes), 1)))
        context["sections"] = sections
    else:
        context["scope_name"] = builder.title(code)
        context["sections"] = [builder.unit(code, with_comparison=True)]
        progress(90)
    context["page_counter_css"] = _page_counter_css()
    context["provenance"] = _("Input %(fingerprint)s · %(weighting)s · %(suppression)s · code %(version)s · "
                              "generated %(time)s") % {
        "fingerprint": fingerprint[:16],
        "weighting": _("weighted: raking to age × sex") if WEIGHTED else _("unweighted"),
        "suppression": ngettext("cells under %(n)d response suppressed", "cells under %(n)d responses suppressed",
                                results.min_cell) % {"n": results.min_cell},
        "version": context["code_version"],
        "time": generated.strftime("%Y-%m-%d %H:%M %Z"),
    }
    if snapshot is not None:
        published_at = timezone.localtime(snapshot.created_at)
        context["provenance"] = _("Figures published %(time)s (snapshot %(id)s)") % {
            "time": published_at.strftime("%Y-%m-%d %H:%M"), "id": snapshot.pk,
        } + " · " + context["provenance"]
    return context


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _page_counter_css() -> str:
    """CSS `content` for "Page 3 of 12" in the active language (WeasyPrint's page counters)."""
    template = _("Page %(page)s of %(pages)s")
    parts = re.split(r"(%\((?:page|pages)\)s)", template)
    out = []
    for part in parts:
        if part == "%(page)s":
            out.append("counter(page)")
        elif part == "%(pages)s":
            out.append("counter(pages)")
        elif part:
            out.append(_css_string(part))
    return " ".join(out)


def _region_name() -> str:
    region = District.objects.filter(kind=District.Kind.REGION).order_by("code").first()
    return capfirst(region.name) if region else _("Region")


def _filename(context: dict, extension: str) -> str:
    scope = "region" if context["is_region"] else context["scope"]
    return f"safety-report-{scope}-{context['wave'].code}-{context['language']}.{extension}"


def render_report(
    *,
    scope: str | District,
    wave: Wave | str,
    language: str,
    formats: Iterable[str],
    progress: Callable[[int], None] | None = None,
    snapshot: Snapshot | None = None,
) -> list[RenderedFile]:
    """The report of `scope` ("region" or a district, as code or District) for `wave`
    (code or Wave) in `language` (ru, kk, en), as the `formats` asked for ("html",
    "pdf"), from the published figures of `snapshot` (default: the wave's latest; raises
    snapshots.NotPublished when there is none). `progress(percent)` is called as the work
    advances, ending at 100."""
    formats = list(formats)
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(UNKNOWN_FORMAT.format(format=fmt))
    progress = progress or (lambda percent: None)
    with override(language):
        context = report_context(scope=scope, wave=wave, language=language, snapshot=snapshot,
                                 progress=lambda p: progress(int(p * (0.8 if "pdf" in formats else 0.95))))
        html = render_to_string("reports/report.html", context)
    files = []
    if "html" in formats:
        files.append(RenderedFile(_filename(context, "html"), "text/html; charset=utf-8", html.encode()))
    if "pdf" in formats:
        progress(80)
        files.append(RenderedFile(_filename(context, "pdf"), "application/pdf", html_to_pdf(html)))
    progress(100)
    return files


_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+pt)"[^>]*?\sheight="([\d.]+pt)"')


def _svg_as_image(match: re.Match) -> str:
    """An inline chart as an <img> with the same SVG in a data: URL. WeasyPrint draws the
    same vector chart, but no longer runs the HTML parser and the CSS cascade over every
    SVG node: a region report prints in about two thirds of the time."""
    svg = match.group(0)
    size = _SIZE.search(svg)
    style = f' style="width:{size.group(1)};height:{size.group(2)}"' if size else ""
    data = base64.b64encode(svg.encode()).decode()
    return f'<img class="chart-image" src="data:image/svg+xml;base64,{data}"{style} alt="">'


def html_to_pdf(html: str) -> bytes:
    """The report's HTML printed by WeasyPrint (its print stylesheet is inside). Nothing is
    fetched from outside: the report is self-contained (data: URLs only)."""
    # WeasyPrint logs each SVG style it does not use and each layout step (some while it
    # is imported); keep errors only.
    for name in ("weasyprint", "weasyprint.progress"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    printable = _SVG.sub(_svg_as_image, html)
    only_data = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return HTML(string=printable, url_fetcher=only_data, base_url=str(ROOT)).write_pdf()
