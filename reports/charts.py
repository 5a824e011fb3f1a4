"""The report's charts: plain data in, SVG bytes out (STYLE.md rules 6 and 12).

Every function builds a `matplotlib.figure.Figure` on the Agg canvas (never pyplot's
global state, which leaks in a long-lived worker), lays it out tightly and returns the
SVG document as bytes. Text stays text in DejaVu Sans, which covers Russian and every
Kazakh letter; ids inside each SVG get a prefix of their own, so many charts can be
inlined in one HTML page. The inputs are already translated and already suppressed
(METHOD.md §4.8): a suppressed figure arrives as None and is drawn as the `suppressed`
text, never as a number.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib import colormaps  # noqa: E402
from matplotlib.colors import Normalize, to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import PathPatch, Rectangle  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

FONT = "DejaVu Sans"
INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#d9dde3"
ACCENT = "#1c5d99"
HIGHLIGHT = "#d9822b"
SUPPRESSED_FILL = "#c8ccd2"
MAP_COLORS = "YlGnBu"
WIDTH = 6.6  # inches: the text width of an A4 page with 2 cm margins, less a little

_RC = {
    "svg.fonttype": "none",  # keep text as text (searchable, small); the report's font is DejaVu Sans
    "svg.hashsalt": "safetysurvey",  # stable ids: the same data gives the same bytes
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": 8,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "text.color": INK,
    "xtick.color": MUTED,
    "ytick.color": INK,
}


def _styled(function):
    """Run a chart function with the report's matplotlib settings (fonts, sizes, colours):
    every artist it creates reads them, not only the figure."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(_RC):
            return function(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float, *, fixed: bool = False) -> Figure:
    """A figure laid out by matplotlib (labels of any length fit), or with `fixed=True` one
    whose axes the caller places: much cheaper, for charts whose labels are known to fit."""
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout=None if fixed else "constrained")


def _axes(figure: Figure, *, left: float, right: float, top: float, bottom: float):
    """Axes with margins in inches (a fixed layout)."""
    width, height = figure.get_size_inches()
    return figure.add_axes((left / width, bottom / height, 1 - (left + right) / width, 1 - (top + bottom) / height))


_ID = re.compile(rb'id="([^"]+)"')


def _svg(figure: Figure, name: str) -> bytes:
    """The figure as a standalone SVG document with ids unique to this chart."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    prefix = name + "-" + hashlib.sha1(svg).hexdigest()[:8] + "-"
    ids = set(_ID.findall(svg))
    for old in sorted(ids, key=len, reverse=True):
        new = prefix.encode() + old
        svg = svg.replace(b'id="' + old + b'"', b'id="' + new + b'"')
        svg = svg.replace(b"url(#" + old + b")", b"url(#" + new + b")")
        svg = svg.replace(b'href="#' + old + b'"', b'href="#' + new + b'"')
    return svg


def _tidy(ax, *, grid_axis: str = "x") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color(GRID)
    ax.spines["bottom"].set_color(GRID)
    ax.tick_params(length=0)
    ax.grid(axis=grid_axis, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


# ---------------------------------------------------------------------------
# Index with intervals by district
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """One row of a dot-and-whisker chart; value/low/high None when suppressed."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    highlight: bool = False


@_styled
def intervals(
    rows: Sequence[Interval],
    *,
    axis_label: str,
    suppressed: str,
    reference: float | None = None,
    reference_label: str = "",
    limits: tuple[float, float] = (0, 100),
    name: str = "intervals",
) -> bytes:
    """Ranked dot-and-whisker chart: each row's value with its 95% interval, best first;
    suppressed rows last, with the `suppressed` text instead of a dot."""
    shown = sorted((r for r in rows if r.value is not None), key=lambda r: -r.value)
    hidden = [r for r in rows if r.value is None]
    ordered = shown + hidden
    height = 0.9 + 0.24 * max(len(ordered), 1)
    figure = _figure(WIDTH, height)
    ax = figure.add_subplot()
    _tidy(ax)
    y = list(range(len(ordered)))[::-1]
    for position, row in zip(y, ordered, strict=True):
        colour = HIGHLIGHT if row.highlight else ACCENT
        if row.value is None:
            ax.text(limits[0] + 0.01 * (limits[1] - limits[0]), position, suppressed, va="center", ha="left",
                    color=MUTED, fontsize=7, style="italic")
            continue
        if row.low is not None and row.high is not None:
            ax.plot([row.low, row.high], [position, position], color=colour, linewidth=1.6, solid_capstyle="butt")
        ax.plot([row.value], [position], "o", color=colour, markersize=5)
        ax.text(row.high if row.high is not None else row.value, position, f"  {row.value:.0f}", va="center",
                ha="left", fontsize=7, color=INK)
    if reference is not None:
        line = ax.axvline(reference, color=MUTED, linewidth=0.8, linestyle="--")
        if reference_label:
            ax.legend([line], [reference_label], loc="lower right", frameon=False, fontsize=7)
    ax.set_yticks(y, [_wrap(r.label, 34) for r in ordered])
    for tick, row in zip(ax.get_yticklabels(), ordered, strict=True):
        if row.highlight:
            tick.set_fontweight("bold")
    ax.set_ylim(-0.7, len(ordered) - 0.3)
    ax.set_xlim(*limits)
    ax.set_xlabel(_wrap(axis_label, 70))
    return _svg(figure, name)


# ---------------------------------------------------------------------------
# Distribution of answers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """Shares (0–1) of each scale point of one item, least favourable first; None when
    the item's figures are suppressed."""

    label: str
    shares: Sequence[float] | None


@_styled
def distribution(
    rows: Sequence[Distribution],
    *,
    categories: Sequence[str],
    suppressed: str,
    name: str = "distribution",
) -> bytes:
    """Stacked 100% bars, one per item, from the least favourable answer (red) to the most
    favourable (blue); `categories` label the points in the same order. Each item's
    question is written above its bar, so long questions need no label column."""
    k = len(categories)
    palette = colormaps["RdBu"]
    colours = [palette(0.1 + 0.8 * i / max(k - 1, 1)) for i in range(k)]
    labels = [_wrap(row.label, 95) for row in rows]
    lines = [label.count("\n") + 1 for label in labels]
    # Each row: its question (0.16 in a line) and its bar (0.2 in) with some air.
    heights = [0.16 * n + 0.3 for n in lines]
    total = sum(heights)
    legend_rows = 1 + (k > 4)
    legend = 0.12 + 0.16 * legend_rows
    figure = _figure(WIDTH, total + legend + 0.05, fixed=True)
    ax = _axes(figure, left=0.03, right=0.03, top=0.05, bottom=legend)
    ax.set_axis_off()
    top = total
    for row, label, height in zip(rows, labels, heights, strict=True):
        ax.text(0, top - 0.04, label, ha="left", va="top", fontsize=7.5, color=INK, linespacing=1.15)
        bar_y = top - height + 0.16
        if row.shares is None:
            ax.text(0, bar_y, suppressed, ha="left", va="center", fontsize=7, color=MUTED, style="italic")
        else:
            left = 0.0
            for share, colour in zip(row.shares, colours, strict=True):
                ax.barh(bar_y, share * 100, left=left, color=colour, height=0.2, edgecolor="white", linewidth=0.6)
                if share >= 0.05:
                    r, g, b = to_rgb(colour)
                    dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.55
                    ax.text(left + share * 50, bar_y, f"{share * 100:.0f}", ha="center", va="center", fontsize=6.5,
                            color="white" if dark else INK)
                left += share * 100
        top -= height
    ax.set_xlim(0, 100)
    ax.set_ylim(0, total)
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in colours]
    figure.legend(handles, categories, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=(k + 1) // legend_rows,
                  frameon=False, fontsize=6.5, handlelength=1, columnspacing=1.2)
    return _svg(figure, name)


# ---------------------------------------------------------------------------
# Trend over waves
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One line of the trend chart: a value (0–100) per wave or None when suppressed."""

    label: str
    values: Sequence[float | None]
    lows: Sequence[float | None]
    highs: Sequence[float | None]


@_styled
def trend(
    waves: Sequence[str],
    series: Sequence[Series],
    *,
    axis_label: str,
    suppressed: str,
    name: str = "trend",
) -> bytes:
    """Each series over the waves with its 95% intervals (METHOD.md §4.4); a suppressed
    wave leaves a gap and says so under the axis."""
    wrapped = len(_wrap(suppressed, 16).splitlines())
    bottom = 0.62 + (0.14 * wrapped if any(v is None for line in series for v in line.values) else 0)
    figure = _figure(WIDTH * 0.62, 1.9 + bottom, fixed=True)
    ax = _axes(figure, left=0.5, right=0.15, top=0.1, bottom=bottom)
    _tidy(ax, grid_axis="y")
    x = list(range(len(waves)))
    colours = [ACCENT, HIGHLIGHT, "#3f8f5a", "#8a4f9e"]
    gaps = set()
    for index, line in enumerate(series):
        colour = colours[index % len(colours)]
        points = [(i, v, lo, hi) for i, v, lo, hi in zip(x, line.values, line.lows, line.highs, strict=True)]
        gaps |= {i for i, v, _, _ in points if v is None}
        xs = [i for i, v, _, _ in points if v is not None]
        ys = [v for _, v, _, _ in points if v is not None]
        offset = (index - (len(series) - 1) / 2) * 0.06
        ax.plot([i + offset for i in xs], ys, "-o", color=colour, markersize=4, linewidth=1.4, label=line.label)
        for i, v, lo, hi in points:
            if v is not None and lo is not None and hi is not None:
                ax.plot([i + offset, i + offset], [lo, hi], color=colour, linewidth=1.0, alpha=0.8)
        for i, v in zip(xs, ys, strict=True):
            ax.annotate(f"{v:.0f}", (i + offset, v), textcoords="offset points", xytext=(6, 0), fontsize=6.5,
                        va="center", color=colour)
    labels = [wave + ("\n" + _wrap(suppressed, 16) if i in gaps else "") for i, wave in enumerate(waves)]
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, len(waves) - 0.5)
    ax.set_ylim(0, 100)
    ax.set_ylabel(axis_label)
    if len(series) > 1:
        figure.legend(loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=len(series), frameon=False, fontsize=6.5)
    return _svg(figure, name)


# ---------------------------------------------------------------------------
# Key drivers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DriverRow:
    label: str  # the number printed at the point (its row in the table beside the chart)
    correlation: float | None
    unfavourable: float | None  # share 0–1
    priority: bool


@_styled
def drivers(
    rows: Sequence[DriverRow],
    *,
    correlation_label: str,
    unfavourable_label: str,
    priority_label: str,
    suppressed: str = "",
    name: str = "drivers",
) -> bytes:
    """Importance–performance chart of the key drivers (METHOD.md §4.5): each item a point
    at (share answering unfavourably, correlation with the index), labelled with its short
    `label` (a number that refers to the table); the medians split the plane and the
    priorities (above both medians) are in the accent colour. Items without both values
    are left out (they are in the table, suppressed)."""
    shown = [r for r in rows if r.correlation is not None and r.unfavourable is not None]
    figure = _figure(WIDTH * 0.75, 3.1, fixed=True)
    ax = _axes(figure, left=0.75, right=0.15, top=0.1, bottom=0.5)
    _tidy(ax, grid_axis="both")
    xs = [r.unfavourable * 100 for r in shown]
    ys = [r.correlation for r in shown]
    if shown:
        import statistics

        mx, my = statistics.median(xs), statistics.median(ys)
        x_lo, x_hi = min(xs), max(xs)
        y_lo, y_hi = min(ys), max(ys)
        pad_x = max((x_hi - x_lo) * 0.12, 2.0)
        pad_y = max((y_hi - y_lo) * 0.12, 0.03)
        ax.set_xlim(max(0, x_lo - pad_x), min(100, x_hi + pad_x))
        ax.set_ylim(max(-1, y_lo - pad_y), min(1, y_hi + pad_y))
        ax.axvline(mx, color=MUTED, linewidth=0.8, linestyle="--")
        ax.axhline(my, color=MUTED, linewidth=0.8, linestyle="--")
        ax.add_patch(Rectangle((mx, my), 100, 2, facecolor=HIGHLIGHT, alpha=0.08, linewidth=0))
        ax.text(0.99, 0.98, priority_label, transform=ax.transAxes, ha="right", va="top", fontsize=6.5,
                color=HIGHLIGHT)
        for row, x, y in zip(shown, xs, ys, strict=True):
            colour = HIGHLIGHT if row.priority else ACCENT
            ax.plot([x], [y], "o", color=colour, markersize=5.5, markeredgecolor="white", markeredgewidth=0.6)
        # Place each number beside its point where it overlaps no other number or point
        # (after the layout has settled the axes' size).
        to_points = 72 / figure.dpi
        centres = [tuple(ax.transData.transform((x, y)) * to_points) for x, y in zip(xs, ys, strict=True)]
        taken: list[tuple[float, float, float, float]] = [(cx - 3, cy - 3, cx + 3, cy + 3) for cx, cy in centres]
        for row, (cx, cy), x, y in zip(shown, centres, xs, ys, strict=True):
            width, height = 4.6 * len(row.label) + 1, 8
            chosen = (4, 0)
            for dx, dy in ((4, 0), (4, 6), (4, -6), (-4 - width, 0), (4, 12), (4, -12), (-4 - width, 7),
                           (-4 - width, -7), (-width / 2, 8), (-width / 2, -9)):
                box = (cx + dx, cy + dy - height / 2, cx + dx + width, cy + dy + height / 2)
                if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
                    chosen = (dx, dy)
                    break
            dx, dy = chosen
            taken.append((cx + dx, cy + dy - height / 2, cx + dx + width, cy + dy + height / 2))
            ax.annotate(row.label, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=7, va="center",
                        ha="left", color=HIGHLIGHT if row.priority else ACCENT, fontweight="bold")
    ax.set_xlabel(unfavourable_label)
    ax.set_ylabel(_wrap(correlation_label, 30))
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
    return _svg(figure, name)


# ---------------------------------------------------------------------------
# Counts (unsafe places, bus routes)
# ---------------------------------------------------------------------------


@_styled
def counts(
    rows: Sequence[tuple[str, int]], *, axis_label: str, name: str = "counts"
) -> bytes:
    """Horizontal bars of counts, largest first (METHOD.md §4.7). Only shown (unsuppressed)
    counts come in: the report says beside the chart when others were hidden."""
    rows = sorted(rows, key=lambda r: -r[1])
    height = 0.8 + 0.24 * max(len(rows), 1)
    figure = _figure(WIDTH * 0.62, height)
    ax = figure.add_subplot()
    _tidy(ax)
    y = list(range(len(rows)))[::-1]
    top = max([count for _, count in rows] + [1])
    for position, (_, count) in zip(y, rows, strict=True):
        ax.barh(position, count, color=ACCENT, height=0.6)
        ax.text(count + top * 0.01, position, f"{count:,}".replace(",", "\u202f"), va="center", fontsize=6.5)
    ax.set_yticks(y, [_wrap(label, 30) for label, _ in rows])
    ax.set_xlim(0, top * 1.18)
    ax.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    ax.set_xlabel(axis_label)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    return _svg(figure, name)


# ---------------------------------------------------------------------------
# The region map: tile map or choropleth
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MapArea:
    """One district on the map: its short name, tile cell, boundary (a GeoJSON Polygon or
    MultiPolygon geometry, or None), and its share feeling safe (0–1, None = suppressed)."""

    code: str
    label: str
    row: int | None
    col: int | None
    share: float | None
    boundary: dict | None = None


@_styled
def region_map(
    areas: Sequence[MapArea],
    *,
    legend_label: str,
    suppressed_short: str,
    name: str = "map",
) -> bytes:
    """The share feeling safe by district: a true choropleth when every area has a boundary,
    else a schematic tile map (one tile per district, placed roughly by geography). Each
    area is coloured by its share and labelled with its short name and value; suppressed
    areas are grey and say `suppressed_short` (e.g. "n<10")."""
    values = [a.share for a in areas if a.share is not None]
    low = math.floor(min(values, default=0.4) * 10) / 10
    high = math.ceil(max(values, default=0.8) * 10) / 10
    if high - low < 0.2:
        low, high = max(0.0, low - 0.1), min(1.0, high + 0.1)
    norm = Normalize(low * 100, high * 100)
    cmap = colormaps[MAP_COLORS]
    if map_kind(areas) == "choropleth":
        figure = _choropleth(areas, norm, cmap, suppressed_short)
    else:
        figure = _tiles(areas, norm, cmap, suppressed_short)
    from matplotlib.cm import ScalarMappable

    bar = figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=figure.axes[0], orientation="horizontal",
                          fraction=0.05, pad=0.02, aspect=40, shrink=0.7)
    bar.set_label(legend_label, fontsize=7)
    bar.ax.tick_params(labelsize=6.5, length=0)
    bar.ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
    bar.outline.set_visible(False)
    return _svg(figure, name)


def map_kind(areas: Sequence[MapArea]) -> str:
    """"choropleth" when every area has a boundary, else "tiles"."""
    return "choropleth" if areas and all(a.boundary for a in areas) else "tiles"


def _fill(share: float | None, norm, cmap):
    return SUPPRESSED_FILL if share is None else cmap(norm(share * 100))


def _ink_on(fill) -> str:
    r, g, b = to_rgb(fill)
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else INK


def _area_text(area: MapArea, suppressed_short: str) -> tuple[str, str]:
    value = suppressed_short if area.share is None else f"{area.share * 100:.0f}%"
    return _wrap(area.label, 13), value


def _tiles(areas: Sequence[MapArea], norm, cmap, suppressed_short: str) -> Figure:
    placed = [a for a in areas if a.row is not None and a.col is not None]
    # Districts without a tile go in a row of their own under the map.
    rows = max([a.row for a in placed], default=0)
    spare = [a for a in areas if a.row is None or a.col is None]
    cols = max([a.col for a in placed] + [len(spare)], default=1)
    cells = [(a, a.row, a.col) for a in placed] + [(a, rows + 1, i + 1) for i, a in enumerate(spare)]
    total_rows = rows + (1 if spare else 0)
    figure = _figure(WIDTH * 0.8, 0.95 * total_rows + 0.7)
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.set_aspect("equal")
    for area, row, col in cells:
        fill = _fill(area.share, norm, cmap)
        ax.add_patch(Rectangle((col - 1 + 0.04, -(row - 1) - 0.96), 0.92, 0.92, facecolor=fill, edgecolor="white",
                               linewidth=1.5, hatch="///" if area.share is None else None))
        label, value = _area_text(area, suppressed_short)
        ink = _ink_on(fill)
        ax.text(col - 0.5, -(row - 1) - 0.36, label, ha="center", va="center", fontsize=6.5, color=ink,
                linespacing=1.0)
        ax.text(col - 0.5, -(row - 1) - 0.74, value, ha="center", va="center", fontsize=9, fontweight="bold",
                color=ink)
    ax.set_xlim(0, cols)
    ax.set_ylim(-total_rows, 0)
    return figure


def _rings(geometry: dict) -> list[list[list[list[float]]]]:
    """Polygons as lists of rings of [lon, lat]."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def _signed_area(ring) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:] + ring[:1], strict=True))


def _choropleth(areas: Sequence[MapArea], norm, cmap, suppressed_short: str) -> Figure:
    lats = [p[1] for a in areas for poly in _rings(a.boundary) for p in poly[0]]
    lons = [p[0] for a in areas for poly in _rings(a.boundary) for p in poly[0]]
    # An equirectangular projection at the map's mean latitude: good enough for a region.
    squeeze = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = (max(lons) - min(lons)) * squeeze or 1
    span_y = (max(lats) - min(lats)) or 1
    width = WIDTH * 0.8
    figure = _figure(width, max(2.5, min(7.5, width * span_y / span_x + 0.6)))
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.set_aspect("equal")
    for area in areas:
        vertices, codes = [], []
        best, best_area = None, -1.0
        for polygon in _rings(area.boundary):
            for index, ring in enumerate(polygon):
                points = [(lon * squeeze, lat) for lon, lat, *_ in ring]
                if points[0] == points[-1]:
                    points = points[:-1]
                area_size = _signed_area(points)
                # Outer rings counter-clockwise, holes clockwise, whatever the file did.
                if (index == 0) != (area_size > 0):
                    points = points[::-1]
                if index == 0 and abs(area_size) > best_area:
                    best, best_area = points, abs(area_size)
                vertices += points + [points[0]]
                codes += [Path.MOVETO] + [Path.LINETO] * (len(points) - 1) + [Path.CLOSEPOLY]
        fill = _fill(area.share, norm, cmap)
        ax.add_patch(PathPatch(Path(vertices, codes), facecolor=fill, edgecolor="white", linewidth=0.8,
                               hatch="///" if area.share is None else None))
        cx, cy = _centroid(best)
        label, value = _area_text(area, suppressed_short)
        ink = _ink_on(fill)
        ax.text(cx, cy, f"{label}\n{value}", ha="center", va="center", fontsize=6, color=ink, linespacing=1.0)
    ax.set_xlim(min(lons) * squeeze, max(lons) * squeeze)
    ax.set_ylim(min(lats), max(lats))
    return figure


def _centroid(points) -> tuple[float, float]:
    area = _signed_area(points)
    if abs(area) < 1e-12:
        return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (6 * area), cy / (6 * area)
