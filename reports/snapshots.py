"""Published figures: snapshots of a wave's figures (METHOD.md §4.10, docs/reports.md "Publication").

Every surface that shows figures to someone without microdata access — the reports, the
aggregate tables, GET /api/v1/aggregates/ — reads the wave's latest snapshot, never the live
responses. A snapshot is made by a job (the nightly run, closing a wave, an analyst's request,
a report job whose wave changed since its last snapshot); it computes the wave's figures from
the live responses once (`figures.wave_results`) and then, unit by unit (the region and each
district), publishes them again or carries the unit's last publication forward unchanged:

- again when the unit was never published in this wave, or when at least REPORT_MIN_CELL
  responses were added to, removed from or corrected in its input since its last publication
  (its input: the district's responses — the region's: every district's — of the waves up to
  this one, which the trend and the change read);
- carried forward otherwise, so that the difference of two publications always rests on at
  least REPORT_MIN_CELL people and reading before and after one response tells nothing.

Changes are counted from the publication record alone (`_changes`), without storing anything
new about residents: added = responses with an id above the highest id the unit had seen;
removed = how far the count of responses at or below that id moved from the unit's count
(voided sheets, deleted responses); corrected = responses at or below that id with a
correction of an item some figure reads (a SheetChange) after the last one seen, that was not
undone since. Counts can only err by missing a change (a response stored while the figures
were read), never by counting one twice, so an error never publishes a unit early.

This module imports no numpy or pandas at import time: the web process reads snapshots for
the aggregates API and asks for new ones; the computation runs in a worker.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checklist.models import Checklist, District
from surveys.models import Response, SheetChange, Wave

from . import publication
from .fingerprint import code_version, input_signature, settings_summary
from .models import Snapshot

logger = logging.getLogger(__name__)

REGION = publication.REGION
NOT_PUBLISHED = _("No figures have been published for this wave yet; they are published nightly.")
SNAPSHOTS_FOR_ANALYSTS = _("Only analysts can ask for the figures to be published now.")


class NotPublished(Exception):
    """The wave has no snapshot yet: nothing may be shown (METHOD.md §4.10)."""

    def __init__(self, wave: Wave):
        self.wave = wave
        super().__init__(str(NOT_PUBLISHED))


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def latest_snapshot(wave: Wave, *, with_results: bool = True) -> Snapshot | None:
    """The wave's latest published snapshot (one indexed row), or None."""
    snapshots = Snapshot.objects.filter(wave=wave, status=Snapshot.Status.DONE).order_by("-created_at", "-pk")
    if not with_results:
        snapshots = snapshots.defer("results")
    return snapshots.select_related("wave").first()


def published(wave: Wave) -> Snapshot:
    """The wave's latest snapshot; raises NotPublished when there is none."""
    snapshot = latest_snapshot(wave)
    if snapshot is None:
        raise NotPublished(wave)
    return snapshot


def is_current(snapshot: Snapshot | None, signature: str) -> bool:
    """Whether nothing the figures rest on (responses, districts, settings, code) changed since."""
    return snapshot is not None and snapshot.fingerprint == signature


def results_of(snapshot: Snapshot):
    """The snapshot's figures as `figures.WaveResults`, the form the report and the aggregate
    tables lay out: the waves, districts and checklist definition that label them are looked
    up by code; every figure is the published one."""
    from checklist.definition import definition_for

    from .figures import WaveResults, index_scales

    document = snapshot.results
    units = {code: _in_order(unit, document["blocks"]) for code, unit in document["units"].items()}
    codes = sorted(code for code in units if code != REGION)
    wanted = [*document["waves"], *([document["previous_wave"]] if document["previous_wave"] else [])]
    waves = {wave.code: wave for wave in Wave.objects.filter(code__in=wanted)}
    checklist = Checklist.objects.filter(version=document.get("checklist_version")).first()
    definition = definition_for(checklist) if checklist else None
    top = {key: document[key] for key in ("wave", "previous_wave", "min_cell", "primary", "blocks")}
    return WaveResults(
        wave=snapshot.wave,
        previous=waves.get(document["previous_wave"]) if document["previous_wave"] else None,
        waves=[waves[code] for code in document["waves"] if code in waves],
        population=document["population"],
        figures={
            **top,
            "region": units[REGION]["figures"],
            "districts": {code: units[code]["figures"] for code in codes},
        },
        trend={
            "waves": document["waves"],
            "primary": document["primary"],
            "region": units[REGION]["trend"],
            "districts": {code: units[code]["trend"] for code in codes},
        },
        definition=definition,
        scales=index_scales(definition) if definition else [],
        distributions={code: unit.get("distributions") or {} for code, unit in units.items()},
        districts={d.code: d for d in District.objects.filter(code__in=codes).order_by("code")},
        min_cell=document["min_cell"],
        weighted=document["weighted"],
    )


CHANNEL_ORDER = ("online", "paper")  # as aggregation.CHANNELS: the order the report lists them in


def _in_order(unit: dict, blocks: list[str]) -> dict:
    """A unit with its channels in the report's order. PostgreSQL stores the document as
    jsonb, which keeps no key order (it sorts keys), so the order is restored on reading."""
    figures = dict(unit["figures"])
    for block in blocks:
        channels = (figures.get(block) or {}).get("by_channel")
        if channels:
            ordered = sorted(channels, key=lambda c: (CHANNEL_ORDER.index(c) if c in CHANNEL_ORDER else 99, c))
            figures[block] = {**figures[block], "by_channel": {c: channels[c] for c in ordered}}
    return {**unit, "figures": figures}


# ---------------------------------------------------------------------------
# Making
# ---------------------------------------------------------------------------

_LOCAL_LOCKS: dict[int, threading.Lock] = defaultdict(threading.Lock)
_LOCK_NAMESPACE = zlib.crc32(b"reports.snapshot") & 0x7FFFFFFF


@contextlib.contextmanager
def wave_lock(wave: Wave):
    """One snapshot of a wave at a time (each decides from the one before). On PostgreSQL a
    session advisory lock, so that workers on every host take turns without holding a
    transaction (or a row lock that response inserts would wait for) while the figures are
    computed; elsewhere (SQLite: development, tests) a lock of this process."""
    if connection.vendor != "postgresql":
        with _LOCAL_LOCKS[wave.pk]:
            yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, wave.pk])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, wave.pk])
        except DatabaseError:  # the connection is gone, and the lock with it
            logger.warning("Could not release the snapshot lock of wave %s", wave.pk, exc_info=True)


def snapshot_make(
    *, wave: Wave, trigger: str, requested_by=None, progress: Callable[[float], None] | None = None
) -> Snapshot:
    """Publish the wave's figures now (METHOD.md §4.10) and return the snapshot.

    Safe to run twice: when nothing the figures rest on changed since the wave's latest
    snapshot, that snapshot is returned and nothing is stored."""
    with wave_lock(wave):
        latest = latest_snapshot(wave)
        signature = input_signature(wave)
        if is_current(latest, signature):
            return latest
        row = Snapshot(wave=wave, trigger=trigger, requested_by=requested_by)
        return _publish(row, previous=latest, signature=signature, progress=progress)


def snapshot_current(*, wave: Wave, progress: Callable[[float], None] | None = None) -> Snapshot:
    """What a report job renders: the wave's latest snapshot if the live input is still the
    one it was made from, else a new snapshot made now (for a report request). The rule of
    §4.10 makes this safe whoever asks: a unit changes only after enough responses."""
    latest = latest_snapshot(wave, with_results=False)
    if is_current(latest, input_signature(wave)):
        return latest
    return snapshot_make(wave=wave, trigger=Snapshot.Trigger.REPORT, progress=progress)


def snapshot_request(*, user, wave: Wave) -> tuple[Snapshot, bool]:
    """An analyst asks for the wave's figures to be published now (POST /api/v1/snapshots/,
    the button on /reports/). Returns (snapshot, queued): the latest snapshot and False when
    nothing changed since it; else a queued snapshot (the one already waiting, if any) whose
    task is sent once the transaction commits, and True. Raises PermissionDenied for anyone
    but analysts and admins."""
    from .services import is_analyst

    if not is_analyst(user):
        raise PermissionDenied(SNAPSHOTS_FOR_ANALYSTS)
    latest = latest_snapshot(wave, with_results=False)
    if is_current(latest, input_signature(wave)):
        return latest, False
    with transaction.atomic():
        waiting = Snapshot.objects.filter(wave=wave, status=Snapshot.Status.QUEUED).order_by("pk").first()
        if waiting is not None:
            return waiting, True
        snapshot = Snapshot(wave=wave, trigger=Snapshot.Trigger.ANALYST, requested_by=user)
        snapshot.full_clean()
        snapshot.save()
        snapshot_id = snapshot.pk
        transaction.on_commit(lambda: send_snapshot_task(snapshot_id=snapshot_id))
    return snapshot, True


def snapshot_fill(*, snapshot_id: int) -> Snapshot | None:
    """Make a queued snapshot (the task of an analyst's request). Safe to run twice: a
    published or failed snapshot is left alone."""
    snapshot = Snapshot.objects.select_related("wave").filter(pk=snapshot_id).first()
    if snapshot is None or snapshot.status != Snapshot.Status.QUEUED:
        return snapshot
    with wave_lock(snapshot.wave):
        snapshot.refresh_from_db()
        if snapshot.status != Snapshot.Status.QUEUED:
            return snapshot
        latest = latest_snapshot(snapshot.wave)
        signature = input_signature(snapshot.wave)
        if is_current(latest, signature):
            # Nothing changed since the latest snapshot: this one publishes the same figures.
            return _store(snapshot, document=latest.results, republished=[], signature=signature)
        return _publish(snapshot, previous=latest, signature=signature)


def snapshot_fail(*, snapshot_id: int, error: str) -> None:
    Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.QUEUED).update(
        status=Snapshot.Status.FAILED, error=error[:5000]
    )


def snapshots_nightly() -> list[Snapshot]:
    """The nightly run's snapshots: every wave whose live input changed since its latest
    snapshot (or that has none) gets a new one, and snapshots analysts asked for that are
    still queued (their task was lost) are made. A wave that fails is logged and skipped."""
    made = []
    for snapshot_id in Snapshot.objects.filter(status=Snapshot.Status.QUEUED).values_list("pk", flat=True):
        try:
            made.append(snapshot_fill(snapshot_id=snapshot_id))
        except Exception:
            logger.exception("Could not make queued snapshot %s", snapshot_id)
    for wave in Wave.objects.order_by("starts_on"):
        try:
            made.append(snapshot_make(wave=wave, trigger=Snapshot.Trigger.NIGHTLY))
        except Exception:
            logger.exception("Could not make the nightly snapshot of wave %s", wave.code)
    return [snapshot for snapshot in made if snapshot is not None]


def send_snapshot_task(*, snapshot_id: int | None = None, wave_id: int | None = None, trigger: str = "") -> None:
    """Send the task that fills a queued snapshot (`snapshot_id`) or makes one of a wave
    (`wave_id`, `trigger`). A broker outage fails nothing: the nightly run catches up.
    Without a broker and with REPORTS_RUN_IN_THREAD (development) it runs in a thread."""
    from . import tasks

    def run():
        if snapshot_id is not None:
            tasks.fill_snapshot.delay(snapshot_id)
        else:
            tasks.make_snapshot.delay(wave_id, trigger)

    if settings.REPORTS_RUN_IN_THREAD:
        threading.Thread(target=_run_in_thread, args=(run,), name="snapshot", daemon=True).start()
        return
    try:
        run()
    except Exception as error:  # kombu raises several unrelated types when Redis is down
        logger.warning("Could not send a snapshot task (%s: %s); the nightly run makes it", type(error).__name__, error)


def _run_in_thread(run) -> None:
    from django.db import connections

    try:
        run()
    except Exception:
        logger.exception("A snapshot failed in its thread")
    finally:
        connections.close_all()


def _publish(
    snapshot: Snapshot, *, previous: Snapshot | None, signature: str, progress: Callable[[float], None] | None = None
) -> Snapshot:
    """Compute the wave's figures once and store the document, unit by unit (module docstring)."""
    from .figures import wave_results

    wave = snapshot.wave
    results = wave_results(wave, progress=progress)
    # Read after the responses: whatever the figures include has an id at most these, so a
    # response stored meanwhile is counted once later (as added or, below the id, by the
    # count), never twice.
    last_response = Response.objects.aggregate(last=Max("pk"))["last"] or 0
    last_change = SheetChange.objects.aggregate(last=Max("pk"))["last"] or 0
    figures, trend = results.figures, results.trend
    top = {
        "wave": figures["wave"],
        "previous_wave": figures["previous_wave"],
        "waves": list(trend["waves"]),
        "min_cell": figures["min_cell"],
        "primary": figures["primary"],
        "blocks": list(figures["blocks"]),
        "weighted": bool(results.weighted),
        "checklist_version": results.definition.version if results.definition else None,
        "population": results.population,
    }
    blocks = list(figures["blocks"])
    fresh = {
        REGION: publication.unit_entry(
            unit=figures["region"], blocks=blocks, trend=trend["region"],
            distributions=results.distributions.get(REGION), population=None,
        )
    }
    records = {REGION: {"responses": sum(results.inputs.values())}}
    for code, unit in figures["districts"].items():
        fresh[code] = publication.unit_entry(
            unit=unit, blocks=blocks, trend=trend["districts"].get(code),
            distributions=results.distributions.get(code), population=results.population.get(code),
        )
        records[code] = {"responses": results.inputs.get(code, 0)}
    document = previous.results if previous is not None else None
    if not publication.compatible(document, top):
        document = None
    changes = _changes(wave, document, _figure_items()) if document else {}
    with transaction.atomic():
        if snapshot.pk is None:
            snapshot.save()  # its id goes into the publication records
        for record in records.values():
            record.update({"snapshot": snapshot.pk, "last_response": last_response, "last_change": last_change})
        composed, republished = publication.compose(
            top=top, fresh=fresh, records=records, previous=document, changes=changes, min_cell=top["min_cell"]
        )
        return _store(snapshot, document=composed, republished=republished, signature=signature)


def _store(snapshot: Snapshot, *, document: dict, republished: list[str], signature: str) -> Snapshot:
    snapshot.status = Snapshot.Status.DONE
    snapshot.created_at = timezone.now()
    snapshot.results = document
    snapshot.republished = republished
    snapshot.fingerprint = signature
    snapshot.settings_used = settings_summary()
    snapshot.code_version = code_version()
    snapshot.publication = publication.digest(document)
    snapshot.error = ""
    snapshot.full_clean()
    snapshot.save()
    return snapshot


def _figure_items() -> list[str]:
    """The items some figure reads, in every checklist version (a correction of an older
    version's sheet counts by its own items)."""
    from checklist.definition import definition_for

    from .data import figure_item_codes

    return figure_item_codes([definition_for(c) for c in Checklist.objects.all()])


def _changes(wave: Wave, document: dict, item_codes: list[str]) -> dict[str, int]:
    """How many responses changed in each unit's input since its publication in `document`
    (METHOD.md §4.10): added + removed + corrected, from the publication records alone."""
    wave_ids = list(Wave.objects.filter(starts_on__lte=wave.starts_on).values_list("pk", flat=True))
    units = {code: unit["publication"] for code, unit in document["units"].items() if unit.get("publication")}
    ids = dict(District.objects.filter(code__in=[c for c in units if c != REGION]).values_list("code", "pk"))
    valid = Response.objects.filter(wave_id__in=wave_ids, is_void=False)
    counts = {}
    for number, (code, record) in enumerate(units.items()):
        if code != REGION and code not in ids:
            continue
        scope = Q() if code == REGION else Q(district_id=ids[code])
        counts[f"added_{number}"] = Count("pk", filter=scope & Q(pk__gt=record["last_response"]))
        counts[f"below_{number}"] = Count("pk", filter=scope & Q(pk__lte=record["last_response"]))
    totals = valid.aggregate(**counts) if counts else {}
    # Corrections since the oldest record: few rows (what coordinators corrected lately).
    oldest = min((record["last_change"] for record in units.values()), default=0)
    corrections = list(
        SheetChange.objects.filter(
            pk__gt=oldest,
            action=SheetChange.Action.EDIT,
            item_code__in=item_codes,
            sheet__response__is_void=False,
            sheet__response__wave_id__in=wave_ids,
        )
        .order_by("pk")
        .values_list("pk", "sheet__response_id", "sheet__response__district_id", "item_code", "old_value", "new_value")
    )
    out = {}
    for number, (code, record) in enumerate(units.items()):
        if f"added_{number}" not in totals:
            continue
        district_id = None if code == REGION else ids[code]
        mine = [
            row for row in corrections
            if row[0] > record["last_change"] and row[1] <= record["last_response"]
            and (district_id is None or row[2] == district_id)
        ]
        removed = abs(record["responses"] - totals[f"below_{number}"])
        out[code] = totals[f"added_{number}"] + removed + len(_corrected(mine))
    return out


def _corrected(changes: list[tuple]) -> set[int]:
    """The responses whose answers these corrections (in id order) changed: per response and
    item, the value before the first differs from the value after the last. A correction
    undone (A to B, then back to A) changed nothing, and would otherwise let whoever can
    correct sheets make the count reach REPORT_MIN_CELL without a single real change."""
    first: dict[tuple[int, str], object] = {}
    last: dict[tuple[int, str], object] = {}
    for _pk, response, _district, item, old, new in changes:
        first.setdefault((response, item), old)
        last[(response, item)] = new
    return {response for (response, item), before in first.items() if last[(response, item)] != before}
