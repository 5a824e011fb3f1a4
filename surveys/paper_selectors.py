"""Reading the paper workflow's state for pages and the API: counts aggregated in SQL."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from .models import Response
from .paper_models import Batch, PaperEntry, Sheet

S = Sheet.Status


def _status_counts() -> dict:
    """Conditional counts of sheets by state, for aggregate() or annotate() on sheets."""
    return {
        "printed": Count("pk"),
        "entered_once": Count("pk", filter=Q(status=S.ENTERED_ONCE)),
        "entered_twice": Count("pk", filter=Q(entry_count=2)),
        "conflict": Count("pk", filter=Q(status=S.CONFLICT)),
        "committed": Count("pk", filter=Q(status=S.COMMITTED)),
        "void": Count("pk", filter=Q(status=S.VOID)),
    }


def batch_counts(batch: Batch) -> dict:
    """Sheets of one batch by state: printed, entered_once, entered_twice, conflict, committed, void."""
    return Sheet.objects.filter(batch=batch).aggregate(**_status_counts())


def batches_with_counts(districts, wave=None):
    """The batches of some districts, each annotated with its sheet counts (one query)."""
    batches = Batch.objects.filter(district__in=districts).select_related("district", "wave", "created_by")
    if wave is not None:
        batches = batches.filter(wave=wave)
    counts = {
        f"n_{name}": Count("sheets", filter=Q(**{f"sheets__{key}": value}))
        for name, key, value in (
            ("entered_once", "status", S.ENTERED_ONCE),
            ("entered_twice", "entry_count", 2),
            ("conflict", "status", S.CONFLICT),
            ("committed", "status", S.COMMITTED),
            ("void", "status", S.VOID),
        )
    }
    return batches.annotate(n_printed=Count("sheets"), **counts).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class DistrictProgress:
    district_id: int
    code: str
    name: str
    printed: int
    entered_once: int
    entered_twice: int
    conflict: int
    committed: int
    void: int
    paper_in_reports: int
    online_in_reports: int


def district_progress(districts, wave) -> list[DistrictProgress]:
    """Per district of `districts`: paper sheets by state in `wave`, and the responses the
    reports count (not void), paper and online. Two queries, whatever the number of districts."""
    sheets = {
        row["batch__district"]: row
        for row in Sheet.objects.filter(batch__district__in=districts, batch__wave=wave)
        .values("batch__district")
        .annotate(**_status_counts())
    }
    responses = {
        row["district"]: row
        for row in Response.objects.filter(district__in=districts, wave=wave, is_void=False)
        .values("district")
        .annotate(
            paper=Count("pk", filter=Q(channel=Response.Channel.PAPER)),
            online=Count("pk", filter=Q(channel=Response.Channel.ONLINE)),
        )
    }
    rows = []
    for district in districts:
        counts = sheets.get(district.pk, {})
        in_reports = responses.get(district.pk, {})
        if not counts and not in_reports:
            continue
        rows.append(
            DistrictProgress(
                district_id=district.pk,
                code=district.code,
                name=district.name,
                printed=counts.get("printed", 0),
                entered_once=counts.get("entered_once", 0),
                entered_twice=counts.get("entered_twice", 0),
                conflict=counts.get("conflict", 0),
                committed=counts.get("committed", 0),
                void=counts.get("void", 0),
                paper_in_reports=in_reports.get("paper", 0),
                online_in_reports=in_reports.get("online", 0),
            )
        )
    return rows


@dataclass(frozen=True)
class VolunteerProgress:
    user_id: int
    username: str
    entries: int
    imported: int
    waiting_for_second: int  # their entry is the only one so far
    entered_twice: int
    conflict: int
    committed: int
    void: int
    items_compared: int
    items_differing: int
    items_corrected: int

    @property
    def discordance(self) -> float | None:
        """Share of compared items on which the other entry of the sheet said something else."""
        return self.items_differing / self.items_compared if self.items_compared else None

    @property
    def discordance_percent(self) -> float | None:
        return None if self.discordance is None else 100 * self.discordance


def volunteer_progress(districts, wave) -> list[VolunteerProgress]:
    """Per person who keyed sheets of `districts` in `wave`: their entries by the sheet's
    state, and their discordance rate (one query)."""
    rows = (
        PaperEntry.objects.filter(sheet__batch__district__in=districts, sheet__batch__wave=wave)
        .values("entered_by", "entered_by__username")
        .annotate(
            entries=Count("pk"),
            imported=Count("pk", filter=Q(source=PaperEntry.Source.IMPORT)),
            waiting=Count("pk", filter=Q(sheet__status=S.ENTERED_ONCE)),
            twice=Count("pk", filter=Q(sheet__entry_count=2)),
            conflict=Count("pk", filter=Q(sheet__status=S.CONFLICT)),
            committed=Count("pk", filter=Q(sheet__status=S.COMMITTED)),
            void=Count("pk", filter=Q(sheet__status=S.VOID)),
            compared=Sum("sheet__items_compared", filter=Q(sheet__entry_count=2)),
            differing=Sum("sheet__items_differing", filter=Q(sheet__entry_count=2)),
            corrected=Sum("items_wrong"),
        )
        .order_by("entered_by__username")
    )
    return [
        VolunteerProgress(
            user_id=row["entered_by"],
            username=row["entered_by__username"],
            entries=row["entries"],
            imported=row["imported"],
            waiting_for_second=row["waiting"],
            entered_twice=row["twice"],
            conflict=row["conflict"],
            committed=row["committed"],
            void=row["void"],
            items_compared=row["compared"] or 0,
            items_differing=row["differing"] or 0,
            items_corrected=row["corrected"] or 0,
        )
        for row in rows
    ]


def reconciliation_queue(districts):
    """Sheets in conflict in some districts, oldest batch first."""
    return (
        Sheet.objects.filter(batch__district__in=districts, status=S.CONFLICT)
        .select_related("batch__district", "batch__wave")
        .order_by("batch__created_at", "number")
    )
