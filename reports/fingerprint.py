"""The input fingerprint of a report, and the provenance it rests on (settings, code version).

`input_fingerprint(scope=..., wave=...)` says whether the live input changed (a new, voided or
corrected response): a snapshot whose fingerprint is the live one is current, and an
export of microdata with the same fingerprint can be reused. `publication_key` says whether
an earlier report would still be the same: it names the published figures (the snapshot's
publication) and the labels and code that lay them out (docs/reports.md, "Reuse"). Every
report request computes it in the web process, so this module imports only Django and the
method's constants: no numpy, pandas, scipy or matplotlib, which take seconds to import and
a hundred megabytes or so in each web worker that would otherwise load them on its first
report request (BENCHMARKS.md, "Load"). `reports.rendering` stamps the same values on every
report.
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, DecimalField, Max, Min, Sum
from django.db.models.functions import Cast

from checklist.models import District
from surveys.models import Response, SheetChange, Wave

from . import method

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def code_version() -> str:
    """`git describe` of the running code when it is a checkout, else the package version."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--tags", "--dirty"],
            cwd=ROOT, capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        if described:
            return described
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return "v" + tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def settings_summary() -> dict[str, Any]:
    """The weighting and suppression settings a report depends on (METHOD.md §4.1, §4.8)."""
    return {
        "weighted": method.WEIGHTED,
        "raking": list(method.RAKE_DIMENSIONS),
        "trim": list(method.TRIM_BOUNDS),
        "rake_tolerance": method.RAKE_TOL,
        "min_cell": settings.REPORT_MIN_CELL,
        "confidence": method.CONFIDENCE,
    }


def scope_code(scope) -> str:
    if isinstance(scope, District):
        return scope.code
    return str(scope)


def input_fingerprint(*, scope: str | District, wave: Wave | str) -> str:
    """A hash of everything the report of `scope` for `wave` is computed from: the responses
    of the waves up to it (count and ids; checklist versions), the waves' names, the
    districts (names, populations, margins, map tiles and boundaries), the weighting and
    suppression settings and the code version. Unchanged, the report would be the same, so
    a finished job can be reused.

    A district report is computed with the whole region (the same figures and suppression
    as the region report), so its input is the region's input and its code.
    """
    wave = wave if isinstance(wave, Wave) else Wave.objects.get(code=str(wave))
    return scope_fingerprint(scope, input_signature(wave))


def scope_fingerprint(scope: str | District, signature: str) -> str:
    """`input_fingerprint` from an input signature already computed."""
    return hashlib.sha256(f"{scope_code(scope)}|{signature}".encode()).hexdigest()


def _waves_up_to(wave: Wave) -> list[tuple[int, str, str]]:
    return list(
        Wave.objects.filter(starts_on__lte=wave.starts_on).order_by("starts_on").values_list("pk", "code", "name")
    )


def _districts_signature() -> list:
    return [
        (*row[:-1], hashlib.sha256(json.dumps(row[-1], sort_keys=True).encode()).hexdigest() if row[-1] else None)
        for row in District.objects.order_by("code").values_list(
            "code", "kind", "parent__code", "adult_population", "margins", "name_ru", "name_kk", "name_en",
            "tile_row", "tile_col", "boundary",
        )
    ]


def input_signature(wave: Wave) -> str:
    """The scope-independent part of the fingerprint: a snapshot's `fingerprint`."""
    waves = _waves_up_to(wave)
    payload = {
        "wave": wave.code,
        "waves": [(code, name) for _, code, name in waves],
        "responses": responses_signature([pk for pk, _, _ in waves]),
        "districts": _districts_signature(),
        "settings": settings_summary(),
        "code": code_version(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def publication_key(*, scope: str | District, wave: Wave, publication: str) -> str:
    """What a report or aggregate table of `scope` shows when made from a snapshot whose
    `publication` this is: the published figures, the names and map of the districts and
    waves that label them, and the code that lays them out. The same key, the same file."""
    payload = {
        "scope": scope_code(scope),
        "publication": publication,
        "waves": [(code, name) for _, code, name in _waves_up_to(wave)],
        "districts": _districts_signature(),
        "code": code_version(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def responses_signature(wave_ids: list[int]) -> dict[str, Any]:
    """Count, id range and sums of the committed responses of the waves: one aggregate
    query, and the last correction of a paper sheet. A new response changes the count and the
    last id; voiding one changes the count and the sum of ids. Answers themselves are not read
    (that would cost seconds per million responses on each report request); a correction
    shows in the sums of the scores and, when it changed no score (an age group, a place), in
    the id of the last sheet change."""
    # Scores are summed as exact decimals: a float sum depends on the order of addition, which
    # PostgreSQL's parallel aggregation varies from run to run (the signature must not). They
    # catch a coordinator's correction of a committed paper sheet, which changes its scores.
    exact = DecimalField(max_digits=40, decimal_places=12)
    summary = Response.objects.filter(wave_id__in=wave_ids, is_void=False).aggregate(
        n=Count("pk"), last=Max("pk"), first=Min("pk"), ids=Sum("pk"), feeling=Sum(Cast("feeling", exact)),
        overall=Sum(Cast("overall", exact)), checklist_min=Min("checklist_id"), checklist_max=Max("checklist_id"),
    )
    summary["last_change"] = SheetChange.objects.filter(sheet__batch__wave_id__in=wave_ids).aggregate(
        last=Max("pk")
    )["last"]
    return {key: None if value is None else str(value) for key, value in summary.items()}
