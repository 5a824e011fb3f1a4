"""Paper questionnaires: creating batches, keying sheets twice, reconciling, editing, voiding,
importing files. Every write of the paper workflow goes through a function here.

The flow of one sheet (docs/paper.md): printed -> entered_once (first keying) -> second
keying by ANOTHER person -> the two are compared item by item -> committed (identical and
nothing to settle: the Response is stored through `response_submit`, channel paper) or
conflict (the coordinator reconciles, then it is committed). A sheet can be voided at any
point; a committed response is then kept but marked void, so reports leave it out.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checklist.answers import clean_answers
from checklist.definition import ChecklistDef, definition_for
from checklist.models import Checklist, District
from checklist.scoring import respondent_scores

from . import roles
from .models import Response, Wave
from .paper_answers import differing_items, entry_check
from .paper_models import Batch, PaperEntry, Sheet, SheetChange
from .serials import make_serial, normalise_serial, serial_problem
from .services import ResponseRejected, response_submit

SERIAL_MALFORMED = _("A sheet serial looks like KRG-KZB-2020-000123-2: district, wave, number, check character.")
SERIAL_CHECK_FAILED = _(
    "The last character of this serial does not match the rest: look for a typing error "
    "(two characters swapped or one mistyped)."
)
SERIAL_UNKNOWN = _("No sheet has this serial. Check the number on the sheet.")
SERIAL_NOT_YOURS = _("This sheet belongs to a district you do not work in.")
SERIAL_OTHER_BATCH = _("This sheet belongs to another batch (%(batch)s).")
SERIAL_TWICE_IN_FILE = _("This serial appears more than once in the file (first in row %(row)d).")
ALREADY_ENTERED_BY_YOU = _("You have already keyed this sheet. The second entry must be made by a different person.")
IN_CONFLICT = _("The two entries of this sheet differ; it is waiting for the coordinator to reconcile it.")
ALREADY_COMMITTED = _("This sheet is already committed; only a coordinator can correct it.")
SHEET_IS_VOID = _("This sheet is void.")
NOT_IN_CONFLICT = _("Only a sheet whose two entries differ can be reconciled.")
NOT_COMMITTED = _("Only a committed sheet can be edited.")
REASON_REQUIRED = _("Give a reason: it is kept in the sheet's history.")
NOTHING_CHANGED = _("Nothing was changed.")
ALREADY_VOID = _("This sheet is already void.")
DISTRICT_TAKES_NO_SHEETS = _("Choose a district or city that residents answer for, not a whole region.")
NO_PUBLISHED_CHECKLIST = _("No checklist is published yet.")
BATCH_TOO_SMALL = _("A batch has at least one sheet.")
BATCH_TOO_LARGE = _("A batch has at most %(limit)d sheets.")
UNKNOWN_LANGUAGE = _("Choose Russian, Kazakh or English.")
PDF_NOT_QUEUED = _(
    "the task queue could not be reached, so it was not started. The sheets are numbered; "
    "press “Render the PDF again” in a few minutes."
)

logger = logging.getLogger(__name__)


class PaperRejected(Exception):
    """Nothing was stored. `errors` maps a field ("serial", "answers", "reason", "__all__")
    to messages; "answers" maps item codes to messages. `forbidden` is True when the
    user may not work on this sheet at all (HTTP 403)."""

    def __init__(self, errors: dict, *, forbidden: bool = False):
        self.errors = errors
        self.forbidden = forbidden
        super().__init__(errors)


# ---------------------------------------------------------------------------- who may do what


def can_key(user) -> bool:
    """Volunteers key sheets; coordinators may too (they also reconcile)."""
    return user.is_authenticated and (
        user.is_superuser or roles.has_role(user, roles.VOLUNTEER) or roles.has_role(user, roles.COORDINATOR)
    )


def can_coordinate(user) -> bool:
    return user.is_authenticated and (user.is_superuser or roles.has_role(user, roles.COORDINATOR))


def works_in(user, district: District) -> bool:
    """District scope: admins everywhere, everyone else only where they are assigned."""
    return user.is_superuser or roles.assigned_districts(user).filter(pk=district.pk).exists()


def paper_districts(user):
    """The districts whose paper sheets a user works on."""
    if user.is_superuser:
        return District.objects.all()
    return roles.assigned_districts(user)


# ---------------------------------------------------------------------------- batches


@transaction.atomic
def batch_create(
    *,
    district: District,
    wave: Wave,
    language: str,
    size: int,
    created_by,
    checklist: Checklist | None = None,
    render_pdf: bool = True,
) -> Batch:
    """Number `size` new sheets for a district and wave, and queue the printable PDF.

    Numbers continue after the last sheet of the same district and wave, so serials never
    repeat across batches.
    """
    checklist = checklist or Checklist.current()
    errors: dict[str, list[str]] = {}
    if checklist is None or not checklist.is_published:
        errors["checklist"] = [str(NO_PUBLISHED_CHECKLIST)]
    if not district.takes_responses:
        errors["district"] = [str(DISTRICT_TAKES_NO_SHEETS)]
    if language not in ("ru", "kk", "en"):
        errors["language"] = [str(UNKNOWN_LANGUAGE)]
    limit = settings.PAPER_BATCH_MAX_SHEETS
    if size < 1:
        errors["size"] = [str(BATCH_TOO_SMALL)]
    elif size > limit:
        errors["size"] = [str(BATCH_TOO_LARGE % {"limit": limit})]
    if errors:
        raise PaperRejected(errors)
    # Serialise numbering per district: two coordinators creating batches at once wait here.
    District.objects.select_for_update().filter(pk=district.pk).first()
    last = Sheet.objects.filter(batch__district=district, batch__wave=wave).aggregate(top=Max("number"))["top"] or 0
    batch = Batch(
        district=district, wave=wave, checklist=checklist, language=language, size=size, created_by=created_by
    )
    batch.full_clean(exclude=["pdf"])
    batch.save()
    Sheet.objects.bulk_create(
        [
            Sheet(batch=batch, number=number, serial=make_serial(district.code, wave.code, number))
            for number in range(last + 1, last + size + 1)
        ],
        batch_size=1000,
    )
    if render_pdf:
        transaction.on_commit(lambda: _send_render(batch.pk))
    return batch


def _send_render(batch_id: int) -> None:
    """Send the task that renders a batch's PDF. The batch never depends on the broker: when
    it is down, the PDF is marked failed with PDF_NOT_QUEUED, so the batch page says why and
    offers "Render the PDF again" instead of waiting for a task that was never sent."""
    from .tasks import render_batch_pdf

    try:
        render_batch_pdf.delay(batch_id)
    except Exception as error:  # kombu raises several unrelated types when Redis is down
        logger.warning(
            "Could not send the PDF of batch %s to the broker (%s: %s)", batch_id, type(error).__name__, error
        )
        Batch.objects.filter(pk=batch_id, pdf_status=Batch.PdfStatus.PENDING).update(
            pdf_status=Batch.PdfStatus.FAILED, pdf_error=str(PDF_NOT_QUEUED)
        )


def batch_render_pdf(*, batch_id: int) -> Batch:
    """Render and store the printable PDF of a batch, reporting progress in the row.

    Idempotent: a batch whose PDF is ready is left alone.
    """
    from django.core.files.base import ContentFile

    from .paper_pdf import batch_pdf

    batch = Batch.objects.select_related("district", "wave", "checklist").get(pk=batch_id)
    if batch.pdf_status == Batch.PdfStatus.READY and batch.pdf:
        return batch
    Batch.objects.filter(pk=batch.pk).update(pdf_status=Batch.PdfStatus.RENDERING, pdf_progress=0, pdf_error="")
    sheets = list(batch.sheets.order_by("number").only("serial", "number"))

    def progress(done: int) -> None:
        Batch.objects.filter(pk=batch.pk).update(pdf_progress=done)

    filename, _mimetype, content = batch_pdf(batch, sheets, definition_for(batch.checklist), progress)
    if batch.pdf:
        batch.pdf.delete(save=False)
    batch.pdf.save(filename, ContentFile(content), save=False)
    batch.pdf_status, batch.pdf_progress, batch.pdf_error = Batch.PdfStatus.READY, len(sheets), ""
    batch.save(update_fields=["pdf", "pdf_status", "pdf_progress", "pdf_error"])
    return batch


def batch_render_failed(*, batch_id: int, error: Exception) -> None:
    Batch.objects.filter(pk=batch_id).update(pdf_status=Batch.PdfStatus.FAILED, pdf_error=str(error)[:2000])


def batch_render_again(*, batch: Batch) -> None:
    """Queue the PDF of a batch once more (after a failure, or to replace a lost file)."""
    Batch.objects.filter(pk=batch.pk).update(pdf_status=Batch.PdfStatus.PENDING, pdf_progress=0, pdf_error="")
    transaction.on_commit(lambda: _send_render(batch.pk))


# ---------------------------------------------------------------------------- keying


def serial_error(text: str) -> tuple[str, str | None]:
    """(normalised serial, message or None) for the format and the check character."""
    serial = normalise_serial(text)
    problem = serial_problem(serial)
    if problem == "format":
        return serial, str(SERIAL_MALFORMED)
    if problem == "check":
        return serial, str(SERIAL_CHECK_FAILED)
    return serial, None


def entry_refusal(sheet: Sheet, user_ids: list[int], user) -> str | None:
    """Why `user` may not key `sheet` now (given who keyed it already), or None."""
    if sheet.status == Sheet.Status.VOID:
        return str(SHEET_IS_VOID)
    if sheet.status == Sheet.Status.COMMITTED:
        return str(ALREADY_COMMITTED)
    if sheet.status == Sheet.Status.CONFLICT:
        return str(IN_CONFLICT)
    if user.pk in user_ids:
        return str(ALREADY_ENTERED_BY_YOU)
    return None


def sheet_for_entry(*, serial: str, user) -> Sheet:
    """The sheet a user is about to key, or PaperRejected saying why not (403 when the sheet
    is of another district)."""
    serial, message = serial_error(serial)
    if message:
        raise PaperRejected({"serial": [message]})
    sheet = Sheet.objects.select_related("batch__district", "batch__wave", "batch__checklist").filter(serial=serial)
    sheet = sheet.first()
    if sheet is None:
        raise PaperRejected({"serial": [str(SERIAL_UNKNOWN)]})
    if not works_in(user, sheet.batch.district):
        raise PaperRejected({"serial": [str(SERIAL_NOT_YOURS)]}, forbidden=True)
    keyed_by = list(sheet.entries.values_list("entered_by_id", flat=True))
    if refusal := entry_refusal(sheet, keyed_by, user):
        raise PaperRejected({"serial": [refusal]})
    return sheet


@dataclass(frozen=True)
class EntryOutcome:
    sheet: Sheet
    entry: PaperEntry
    differing: list[str] = field(default_factory=list)  # item codes the two entries disagree on
    not_applicable: list[str] = field(default_factory=list)  # follow-ups answered although not shown

    @property
    def committed(self) -> bool:
        return self.sheet.status == Sheet.Status.COMMITTED


def paper_entry_create(*, sheet: Sheet, user, answers: dict, source: str = PaperEntry.Source.KEYED) -> EntryOutcome:
    """Store one keying of a sheet. On the second keying, compare and either commit the
    response (identical, nothing to settle) or send the sheet to reconciliation."""
    with transaction.atomic():
        sheet = (
            Sheet.objects.select_for_update(of=("self",))
            .select_related("batch__district", "batch__wave", "batch__checklist")
            .get(pk=sheet.pk)
        )
        if not works_in(user, sheet.batch.district):
            raise PaperRejected({"serial": [str(SERIAL_NOT_YOURS)]}, forbidden=True)
        previous = list(sheet.entries.all())
        if refusal := entry_refusal(sheet, [entry.entered_by_id for entry in previous], user):
            raise PaperRejected({"serial": [refusal]})
        definition = definition_for(sheet.batch.checklist)
        checked = entry_check(definition, answers)
        if checked.errors:
            raise PaperRejected({"answers": checked.errors})
        entry = PaperEntry(
            sheet=sheet, entered_by=user, answers=checked.answers, not_applicable=checked.not_applicable, source=source
        )
        entry.save()
        if not previous:
            sheet.status, sheet.entry_count = Sheet.Status.ENTERED_ONCE, 1
            sheet.save(update_fields=["status", "entry_count"])
            return EntryOutcome(sheet=sheet, entry=entry, not_applicable=checked.not_applicable)
        first = previous[0]
        differing = differing_items(definition, first.answers, entry.answers)
        flagged = _in_sheet_order(definition, set(first.not_applicable) | set(entry.not_applicable))
        sheet.entry_count, sheet.items_compared, sheet.items_differing = 2, len(definition.items), len(differing)
        if differing or flagged:
            sheet.status = Sheet.Status.CONFLICT
        else:
            sheet.response = _commit(sheet, entry.answers)
            sheet.status = Sheet.Status.COMMITTED
        sheet.save(update_fields=["status", "entry_count", "items_compared", "items_differing", "response"])
        return EntryOutcome(sheet=sheet, entry=entry, differing=differing, not_applicable=flagged)


def _in_sheet_order(definition: ChecklistDef, codes: set[str]) -> list[str]:
    return [item.code for item in definition.items if item.code in codes]


def _commit(sheet: Sheet, answers: dict) -> Response:
    """Store the sheet's response through the one door every channel uses. No client_id: the
    caller links it to the sheet (Sheet.response), with the sheet's row locked."""
    batch = sheet.batch
    try:
        response, _created = response_submit(
            district=batch.district,
            language=batch.language,
            answers=answers,
            channel=Response.Channel.PAPER,
            checklist=batch.checklist,
            wave=batch.wave,
        )
    except ResponseRejected as rejected:
        raise PaperRejected(rejected.errors) from None
    return response


# ---------------------------------------------------------------------------- coordinators


def paper_sheet_reconcile(*, sheet: Sheet, user, answers: dict, reason: str = "") -> Response:
    """Commit a sheet in conflict with the values the coordinator read on the paper.

    `answers` is the whole sheet as it should be stored; it must pass the checklist's full
    validation (a follow-up that does not apply must now be left blank). Every item whose
    final value is not what both entries said is written to the sheet's history.
    """
    with transaction.atomic():
        sheet = Sheet.objects.select_for_update(of=("self",)).select_related("batch__checklist").get(pk=sheet.pk)
        _check_coordinator(user, sheet)
        if sheet.status != Sheet.Status.CONFLICT:
            raise PaperRejected({"__all__": [str(NOT_IN_CONFLICT)]})
        definition = definition_for(sheet.batch.checklist)
        cleaned, errors = clean_answers(definition, answers)
        if errors:
            raise PaperRejected({"answers": errors})
        first, second = list(sheet.entries.order_by("created_at", "pk"))
        changes = []
        for item in definition.items:
            one, two, final = first.answers.get(item.code), second.answers.get(item.code), cleaned.get(item.code)
            if not (one == two == final):
                changes.append(
                    SheetChange(
                        sheet=sheet,
                        changed_by=user,
                        action=SheetChange.Action.RECONCILE,
                        item_code=item.code,
                        old_value={"first": one, "second": two},
                        new_value=final,
                        reason=reason.strip(),
                    )
                )
        for entry in (first, second):
            entry.items_wrong = sum(
                1 for item in definition.items if entry.answers.get(item.code) != cleaned.get(item.code)
            )
            entry.save(update_fields=["items_wrong"])
        SheetChange.objects.bulk_create(changes)
        sheet.response = _commit(sheet, cleaned)
        sheet.status = Sheet.Status.COMMITTED
        sheet.save(update_fields=["status", "response"])
        return sheet.response


def paper_response_edit(*, sheet: Sheet, user, answers: dict, reason: str) -> list[SheetChange]:
    """Correct a committed sheet: new answers and scores, one history row per changed item."""
    with transaction.atomic():
        sheet = (
            Sheet.objects.select_for_update(of=("self",))
            .select_related("batch__checklist", "response")
            .get(pk=sheet.pk)
        )
        _check_coordinator(user, sheet)
        if sheet.status == Sheet.Status.VOID:
            raise PaperRejected({"__all__": [str(SHEET_IS_VOID)]})
        if sheet.status != Sheet.Status.COMMITTED:
            raise PaperRejected({"__all__": [str(NOT_COMMITTED)]})
        if not (reason or "").strip():
            raise PaperRejected({"reason": [str(REASON_REQUIRED)]})
        definition = definition_for(sheet.batch.checklist)
        cleaned, errors = clean_answers(definition, answers)
        if errors:
            raise PaperRejected({"answers": errors})
        response = sheet.response
        changes = [
            SheetChange(
                sheet=sheet,
                changed_by=user,
                action=SheetChange.Action.EDIT,
                item_code=item.code,
                old_value=response.answers.get(item.code),
                new_value=cleaned.get(item.code),
                reason=reason.strip(),
            )
            for item in definition.items
            if response.answers.get(item.code) != cleaned.get(item.code)
        ]
        if not changes:
            raise PaperRejected({"__all__": [str(NOTHING_CHANGED)]})
        response.answers = cleaned
        response.set_scores(respondent_scores(definition, cleaned))
        response.save(update_fields=["answers", "feeling", "environment", "police", "overall", "sdg_safe"])
        return SheetChange.objects.bulk_create(changes)


def paper_sheet_void(*, sheet: Sheet, user, reason: str) -> Sheet:
    """Mark a sheet void (spoiled, duplicate interview...). It stays, out of reports."""
    with transaction.atomic():
        sheet = Sheet.objects.select_for_update(of=("self",)).select_related("batch", "response").get(pk=sheet.pk)
        _check_coordinator(user, sheet)
        if sheet.status == Sheet.Status.VOID:
            raise PaperRejected({"__all__": [str(ALREADY_VOID)]})
        if not (reason or "").strip():
            raise PaperRejected({"reason": [str(REASON_REQUIRED)]})
        previous = sheet.status
        sheet.status, sheet.void_reason = Sheet.Status.VOID, reason.strip()
        sheet.save(update_fields=["status", "void_reason"])
        if sheet.response is not None:
            sheet.response.is_void = True
            sheet.response.save(update_fields=["is_void"])
        SheetChange.objects.create(
            sheet=sheet,
            changed_by=user,
            action=SheetChange.Action.VOID,
            old_value=previous,
            new_value=Sheet.Status.VOID.value,
            reason=reason.strip(),
        )
        return sheet


def _check_coordinator(user, sheet: Sheet) -> None:
    if not can_coordinate(user) or not works_in(user, sheet.batch.district):
        raise PaperRejected({"__all__": [str(SERIAL_NOT_YOURS)]}, forbidden=True)


# ---------------------------------------------------------------------------- file import


@dataclass(frozen=True)
class ImportRow:
    row: int  # the row number the user sees in the spreadsheet (1 is the header)
    serial: str
    answers: dict  # item code -> typed value (see paper_answers.parse_keyed)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class PaperImportRejected(Exception):
    """Nothing was stored; `errors` lists every bad cell."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(errors)


@dataclass(frozen=True)
class ImportOutcome:
    entries: int
    first_entries: int
    committed: int
    conflicts: int


def paper_entries_import(
    *, batch: Batch, user, rows: list[ImportRow], source: str = PaperEntry.Source.IMPORT
) -> ImportOutcome:
    """Store many entries of one batch at once, all or nothing, in a handful of queries.

    Each row counts as one keying by `user`. Rows that are a sheet's second entry are
    compared with the first; identical ones are committed together (bulk insert of the
    responses with their scores), the others go to reconciliation.
    """
    with transaction.atomic():
        # The lock keeps anyone from keying these sheets between our checks and our writes.
        sheets = {sheet.serial: sheet for sheet in Sheet.objects.select_for_update(of=("self",)).filter(batch=batch)}
        keyed: dict[int, list[dict]] = {}
        for entry in PaperEntry.objects.filter(sheet__batch=batch).values(
            "sheet_id", "entered_by_id", "answers", "not_applicable"
        ):
            keyed.setdefault(entry["sheet_id"], []).append(entry)
        definition = definition_for(batch.checklist)
        errors, accepted = _check_import_rows(user, rows, sheets, keyed, definition)
        if errors:
            raise PaperImportRejected(errors)

        entries, responses, touched = [], [], []
        today = timezone.localdate()
        for sheet, checked in accepted:
            entries.append(
                PaperEntry(
                    sheet=sheet,
                    entered_by=user,
                    answers=checked.answers,
                    not_applicable=checked.not_applicable,
                    source=source,
                )
            )
            earlier = keyed.get(sheet.pk, [])
            if not earlier:
                sheet.status, sheet.entry_count = Sheet.Status.ENTERED_ONCE, 1
            else:
                first = earlier[0]
                differing = differing_items(definition, first["answers"], checked.answers)
                sheet.entry_count, sheet.items_compared = 2, len(definition.items)
                sheet.items_differing = len(differing)
                if differing or first["not_applicable"] or checked.not_applicable:
                    sheet.status = Sheet.Status.CONFLICT
                else:
                    sheet.status = Sheet.Status.COMMITTED
                    responses.append((sheet, _paper_response(batch, definition, checked.answers, today)))
            touched.append(sheet)
        PaperEntry.objects.bulk_create(entries, batch_size=1000)
        if responses:
            # PostgreSQL and SQLite (3.35+) give the new rows' ids back (INSERT ... RETURNING).
            Response.objects.bulk_create([response for _sheet, response in responses], batch_size=1000)
            for sheet, response in responses:
                sheet.response_id = response.pk
        _sheets_update(touched)
        committed = sum(1 for sheet in touched if sheet.status == Sheet.Status.COMMITTED)
        conflicts = sum(1 for sheet in touched if sheet.status == Sheet.Status.CONFLICT)
        return ImportOutcome(
            entries=len(entries),
            first_entries=sum(1 for sheet in touched if sheet.entry_count == 1),
            committed=committed,
            conflicts=conflicts,
        )


def _check_import_rows(user, rows, sheets, keyed, definition):
    errors: list[RowError] = []
    accepted = []
    first_row_of: dict[str, int] = {}
    elsewhere = _serials_elsewhere(user, rows, sheets)
    for row in rows:
        serial, message = serial_error(row.serial)
        sheet = None
        if message is None:
            if serial in first_row_of:
                message = str(SERIAL_TWICE_IN_FILE % {"row": first_row_of[serial]})
            elif serial in sheets:
                sheet = sheets[serial]
                keyed_by = [entry["entered_by_id"] for entry in keyed.get(sheet.pk, [])]
                message = entry_refusal(sheet, keyed_by, user)
            elif serial in elsewhere:
                message = elsewhere[serial]
            else:
                message = str(SERIAL_UNKNOWN)
            first_row_of.setdefault(serial, row.row)
        if message:
            errors.append(RowError(row.row, "serial", message))
        checked = entry_check(definition, row.answers)
        for code, messages in checked.errors.items():
            errors.extend(RowError(row.row, code, text) for text in messages)
        if message is None and not checked.errors:
            accepted.append((sheet, checked))
    return errors, accepted


def _serials_elsewhere(user, rows, sheets) -> dict[str, str]:
    """Serials of the file that belong to other batches: serial -> the row's message. It names
    the other batch only when the user works in its district; a sheet of another district gets
    SERIAL_NOT_YOURS, as when keying it, and nothing of its batch (district, wave, number)."""
    # Only a well-formed serial can name a sheet: nothing else is looked up (a NUL, say, which
    # PostgreSQL cannot compare).
    wanted = [
        serial
        for serial in {normalise_serial(row.serial) for row in rows} - set(sheets)
        if serial_problem(serial) is None
    ]
    if not wanted:
        return {}
    found = list(Sheet.objects.filter(serial__in=wanted[:5000]).select_related("batch__district", "batch__wave"))
    if not found:
        return {}
    visible = set(paper_districts(user).values_list("pk", flat=True))
    return {
        sheet.serial: str(SERIAL_OTHER_BATCH % {"batch": sheet.batch.label})
        if sheet.batch.district_id in visible
        else str(SERIAL_NOT_YOURS)
        for sheet in found
    }


def _paper_response(batch: Batch, definition: ChecklistDef, answers: dict, today) -> Response:
    """The Response response_submit would store for these (already clean) answers: no client_id."""
    response = Response(
        checklist=batch.checklist,
        wave=batch.wave,
        district=batch.district,
        channel=Response.Channel.PAPER,
        language=batch.language,
        answers=answers,
        submitted_on=today,
    )
    response.set_scores(respondent_scores(definition, answers))
    return response


def _sheets_update(sheets: list[Sheet]) -> None:
    """Write the new state of many sheets in a few UPDATEs: one per distinct state (not
    one CASE per sheet and field, which is what makes bulk_update slow). Committed sheets
    get their just-inserted responses (`response_id`) in the same UPDATE (a committed sheet
    must always have its response: a database constraint), from one CASE on the sheet's id
    written as SQL: ten thousand When() expressions cost seconds to build and compile."""
    from collections import defaultdict

    from django.db import connection
    from django.db.models import BigIntegerField
    from django.db.models.expressions import RawSQL

    groups: dict[tuple, list[Sheet]] = defaultdict(list)
    for sheet in sheets:
        groups[(sheet.status, sheet.entry_count, sheet.items_compared, sheet.items_differing)].append(sheet)
    sheet_id = connection.ops.quote_name(Sheet._meta.pk.column)
    for (status, entry_count, compared, differing), members in groups.items():
        values = {
            "status": status,
            "entry_count": entry_count,
            "items_compared": compared,
            "items_differing": differing,
        }
        committed = status == Sheet.Status.COMMITTED
        # A committed sheet takes three parameters (IN, WHEN, THEN); the CASE is looked through
        # row by row, so its chunks stay at _LINKS_PER_UPDATE.
        size = connection.ops.bulk_batch_size(["pk", "pk", "response"] if committed else ["pk"], members)
        size = min(size or len(members), _LINKS_PER_UPDATE) if committed else size or len(members)
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            if committed:
                cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
                links = [value for sheet in chunk for value in (sheet.pk, sheet.response_id)]
                values["response"] = RawSQL(f"CASE {sheet_id} {cases} END", links, output_field=BigIntegerField())
            Sheet.objects.filter(pk__in=[sheet.pk for sheet in chunk]).update(**values)


_LINKS_PER_UPDATE = 1000
