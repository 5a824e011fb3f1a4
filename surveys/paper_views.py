"""Pages of the paper workflow, under /volunteer/: keying for volunteers; batches, import,
reconciliation, corrections and progress for coordinators. Thin: each parses the request,
calls one service or selector, and renders. District scope is checked on every object."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from checklist.definition import definition_for
from checklist.models import District

from .models import Wave
from .paper_answers import agreed_answers, differing_items, display_value, keyed_text
from .paper_forms import BatchForm, EditForm, ImportForm, KeyedAnswersForm, ReconcileForm, SerialForm, VoidForm
from .paper_import import FILE_TOO_LARGE, template_header, write_csv, write_xlsx
from .paper_import_jobs import IMPORT_COMMITTED, IMPORT_JOB_NOT_YOURS, can_see_import, paper_import_upload
from .paper_models import Batch, ImportJob, PaperEntry, Sheet
from .paper_selectors import (
    batch_counts,
    batches_with_counts,
    district_progress,
    reconciliation_queue,
    volunteer_progress,
)
from .paper_services import (
    PaperRejected,
    batch_create,
    batch_render_again,
    can_coordinate,
    can_key,
    paper_districts,
    paper_entry_create,
    paper_response_edit,
    paper_sheet_reconcile,
    paper_sheet_void,
    sheet_for_entry,
    works_in,
)
from .serials import normalise_serial, serial_problem

SHEETS_PER_PAGE = 200


class _Forbidden(Exception):
    def __init__(self, message=""):
        self.message = message
        super().__init__(message)


def _forbidden(request, message: str = "") -> HttpResponse:
    context = {"message": message or _("Your account may not open this page."), **_nav(request)}
    return render(request, "surveys/paper/forbidden.html", context, status=403)


def _nav(request) -> dict:
    return {"can_key": can_key(request.user), "can_coordinate": can_coordinate(request.user)}


def paper_view(*, coordinator: bool = False):
    """Logged in, with the role (keying or coordinating); _Forbidden inside answers 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            allowed = can_coordinate(request.user) if coordinator else can_key(request.user)
            if not allowed:
                return _forbidden(request)
            try:
                return view(request, *args, **kwargs)
            except _Forbidden as refusal:
                return _forbidden(request, refusal.message)

        return wrapped

    return decorator


def _page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, {**_nav(request), **context}, status=status)


def _batch(request, pk: int) -> Batch:
    batch = get_object_or_404(Batch.objects.select_related("district", "wave", "checklist", "created_by"), pk=pk)
    if not works_in(request.user, batch.district):
        raise _Forbidden(_("This batch belongs to a district you do not work in."))
    return batch


def _sheet(request, serial: str) -> Sheet:
    serial = normalise_serial(serial)
    # Only a well-formed serial can name a sheet, so nothing else is looked up: a NUL character
    # in the URL would reach PostgreSQL, which cannot compare text holding one (a 500).
    if serial_problem(serial):
        raise Http404
    sheet = get_object_or_404(
        Sheet.objects.select_related("batch__district", "batch__wave", "batch__checklist", "response"),
        serial=serial,
    )
    if not works_in(request.user, sheet.batch.district):
        raise _Forbidden(_("This sheet belongs to a district you do not work in."))
    return sheet


# ---------------------------------------------------------------------------- keying


@paper_view()
def home(request):
    districts = paper_districts(request.user)
    batches = batches_with_counts(districts)[:50]
    context = {"batches": batches, "districts": districts}
    if can_coordinate(request.user):
        context["queue_size"] = reconciliation_queue(districts).count()
    return _page(request, "surveys/paper/home.html", context)


@paper_view()
def entry_start(request):
    form = SerialForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            sheet = sheet_for_entry(serial=form.cleaned_data["serial"], user=request.user)
        except PaperRejected as rejected:
            for message in rejected.errors.get("serial", []):
                form.add_error("serial", message)
            status = 403 if rejected.forbidden else 200
        else:
            return redirect("paper:entry", serial=sheet.serial)
    return _page(request, "surveys/paper/entry_start.html", {"form": form, **_serial_js_messages()}, status)


def _serial_js_messages() -> dict:
    from .paper_services import SERIAL_CHECK_FAILED, SERIAL_MALFORMED

    return {"serial_malformed": SERIAL_MALFORMED, "serial_check_failed": SERIAL_CHECK_FAILED}


@paper_view()
def entry_form(request, serial: str):
    try:
        sheet = sheet_for_entry(serial=serial, user=request.user)
    except PaperRejected as rejected:
        messages_ = rejected.errors.get("serial", [])
        if rejected.forbidden:
            return _forbidden(request, " ".join(messages_))
        for message in messages_:
            messages.error(request, f"{normalise_serial(serial)}: {message}")
        return redirect("paper:enter")
    batch = sheet.batch
    definition = definition_for(batch.checklist)
    numbers = definition.numbers
    form = KeyedAnswersForm(request.POST or None, definition=definition, language=batch.language, numbers=numbers)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = paper_entry_create(sheet=sheet, user=request.user, answers=form.answers())
        except PaperRejected as rejected:
            if rejected.forbidden:
                return _forbidden(request, " ".join(rejected.errors.get("serial", [])))
            form.add_answer_errors(rejected.errors.get("answers", {}))
            for message in rejected.errors.get("serial", []) + rejected.errors.get("__all__", []):
                form.add_error(None, message)
        else:
            _entry_messages(request, outcome, numbers)
            return redirect("paper:enter")
    context = {"sheet": sheet, "batch": batch, "form": form, "language": batch.language}
    return _page(request, "surveys/paper/entry_form.html", context)


def _entry_messages(request, outcome, numbers) -> None:
    serial = outcome.sheet.serial
    if outcome.sheet.entry_count == 1:
        messages.success(request, _("Sheet %(serial)s saved: first entry.") % {"serial": serial})
    elif outcome.committed:
        messages.success(
            request, _("Sheet %(serial)s: both entries agree. The response is committed.") % {"serial": serial}
        )
    else:
        count = len(outcome.differing)
        messages.warning(
            request,
            ngettext(
                "Sheet %(serial)s: the two entries differ on %(count)d question. The coordinator will check it.",
                "Sheet %(serial)s: the two entries differ on %(count)d questions. The coordinator will check them.",
                count,
            )
            % {"serial": serial, "count": count}
            if count
            else _("Sheet %(serial)s saved; the coordinator will check it.") % {"serial": serial},
        )
    if outcome.entry.not_applicable:
        listed = ", ".join(str(numbers[code]) for code in outcome.entry.not_applicable)
        messages.info(
            request,
            _(
                "Kept as on the paper: question(s) %(numbers)s answered although they do not apply, "
                "given the answer they follow. The coordinator will settle it."
            )
            % {"numbers": listed},
        )


# ---------------------------------------------------------------------------- batches


@paper_view(coordinator=True)
def batch_new(request):
    allowed = [district.pk for district in paper_districts(request.user) if district.takes_responses]
    districts = District.objects.filter(pk__in=allowed).order_by("code")
    form = BatchForm(request.POST or None, districts=districts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = batch_create(
                district=data["district"],
                wave=data["wave"],
                language=data["language"],
                size=data["size"],
                created_by=request.user,
            )
        except PaperRejected as rejected:
            for name, field_messages in rejected.errors.items():
                for message in field_messages:
                    form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("Batch created: %(count)d sheets.") % {"count": batch.size})
            return redirect("paper:batch", pk=batch.pk)
    return _page(request, "surveys/paper/batch_new.html", {"form": form})


@paper_view()
def batch_detail(request, pk: int):
    batch = _batch(request, pk)
    sheets = Paginator(batch.sheets.order_by("number"), SHEETS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "batch": batch,
        "counts": batch_counts(batch),
        "sheets": sheets,
        "import_form": ImportForm(),
        "rendering": batch.pdf_status in (Batch.PdfStatus.PENDING, Batch.PdfStatus.RENDERING),
    }
    return _page(request, "surveys/paper/batch_detail.html", context)


@paper_view()
def batch_pdf(request, pk: int):
    batch = _batch(request, pk)
    if batch.pdf_status != Batch.PdfStatus.READY or not batch.pdf:
        messages.info(request, _("The PDF is not ready yet."))
        return redirect("paper:batch", pk=batch.pk)
    filename = f"sheets-{batch.district.code}-{batch.wave.code}-batch{batch.pk}.pdf"
    return FileResponse(batch.pdf.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf")


@require_POST
@paper_view(coordinator=True)
def batch_render(request, pk: int):
    batch = _batch(request, pk)
    batch_render_again(batch=batch)
    messages.info(request, _("The PDF is being rendered again."))
    return redirect("paper:batch", pk=batch.pk)


@paper_view(coordinator=True)
def batch_template(request, pk: int, fmt: str):
    """The file to fill in: the columns of the checklist and one row per sheet still to key."""
    batch = _batch(request, pk)
    definition = definition_for(batch.checklist)
    header = template_header(definition)
    open_sheets = batch.sheets.filter(status__in=[Sheet.Status.PRINTED, Sheet.Status.ENTERED_ONCE]).order_by("number")
    rows = [[serial] for serial in open_sheets.values_list("serial", flat=True)]
    name = f"batch{batch.pk}-{batch.district.code}-{batch.wave.code}"
    if fmt == "xlsx":
        notes = [_("One row per sheet. Key the numbers printed beside the ticked boxes; several: 1 3.")]
        numbers = definition.numbers
        for item in definition.items:
            options = "; ".join(f"{o.value} = {o.text(batch.language)}" for o in item.options)
            notes.append(f"{item.code} — {numbers[item.code]}. {item.question(batch.language)} {options}".strip())
        content = write_xlsx(header, rows, notes)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content, mimetype, fmt = write_csv(header, rows), "text/csv; charset=utf-8", "csv"
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@paper_view(coordinator=True)
def batch_export(request, pk: int):
    """Every entry of the batch and every committed response, as CSV (cells neutralised)."""
    batch = _batch(request, pk)
    definition = definition_for(batch.checklist)
    codes = [item.code for item in definition.items]
    header = ["serial", "status", "entry", "entered_by", "source", *codes]
    rows = []
    entries = PaperEntry.objects.filter(sheet__batch=batch).select_related("sheet", "entered_by")
    for entry in entries.order_by("sheet__number", "created_at", "pk"):
        cells = [keyed_text(definition.by_code[code], entry.answers.get(code)) for code in codes]
        rows.append([entry.sheet.serial, entry.sheet.status, "entry", entry.entered_by.username, entry.source, *cells])
    committed = batch.sheets.filter(response__isnull=False).select_related("response").order_by("number")
    for sheet in committed:
        cells = [keyed_text(definition.by_code[code], sheet.response.answers.get(code)) for code in codes]
        rows.append([sheet.serial, sheet.status, "committed", "", "", *cells])
    response = HttpResponse(write_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch{batch.pk}-entries.csv"'
    return response


@csrf_exempt
def batch_import(request, pk: int):
    """Refuse an oversized upload from its declared length, BEFORE the body is read or parsed
    (refusing has no side effect, so it needs no CSRF check); everything else is CSRF-protected."""
    limit = settings.PAPER_IMPORT_MAX_BYTES
    if request.method == "POST":
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + 64 * 1024:
            return _batch_import_too_large(request, pk)
    return _batch_import(request, pk)


@paper_view(coordinator=True)
def _batch_import_too_large(request, pk: int):
    batch = _batch(request, pk)
    message = FILE_TOO_LARGE % {"limit": filesizeformat(settings.PAPER_IMPORT_MAX_BYTES)}
    context = {"batch": batch, "form": ImportForm(), "file_error": message, "jobs": _latest_imports(batch)}
    return _page(request, "surveys/paper/batch_import.html", context, status=413)


def _latest_imports(batch: Batch):
    return ImportJob.objects.defer(*ImportJob.HEAVY_FIELDS).filter(batch=batch).select_related("uploaded_by")[:10]


@csrf_protect
@paper_view(coordinator=True)
def _batch_import(request, pk: int):
    """Store the file as an import job and go to the job's page; the job reads and checks it."""
    batch = _batch(request, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"batch": batch, "form": form, "jobs": _latest_imports(batch)}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        limit = settings.PAPER_IMPORT_MAX_BYTES
        if upload.size > limit:
            context["file_error"] = FILE_TOO_LARGE % {"limit": filesizeformat(limit)}
            return _page(request, "surveys/paper/batch_import.html", context, status=413)
        try:
            job = paper_import_upload(
                batch=batch,
                user=request.user,
                filename=upload.name or "",
                content=upload.read(limit + 1),
                language=request.LANGUAGE_CODE,
            )
        except PaperRejected as rejected:
            if rejected.forbidden:
                return _forbidden(request, " ".join(rejected.errors.get("__all__", [])))
            context["file_error"] = " ".join(rejected.errors.get("file", []))
        else:
            messages.info(request, _("The file is uploaded. It is being checked; this page shows how far."))
            return redirect("paper:import_job", pk=job.pk)
    return _page(request, "surveys/paper/batch_import.html", context)


def _import_job(request, pk: int) -> ImportJob:
    """A job of a batch of the user's districts (another district's: 403, like its batch)."""
    jobs = ImportJob.objects.defer(*ImportJob.HEAVY_FIELDS).select_related(
        "batch__district", "batch__wave", "batch__checklist", "uploaded_by"
    )
    job = get_object_or_404(jobs, pk=pk)
    if not can_see_import(request.user, job):
        raise _Forbidden(str(IMPORT_JOB_NOT_YOURS))
    return job


@paper_view(coordinator=True)
def import_job(request, pk: int):
    """An import job: its progress while it runs (the page polls it, or refreshes itself
    without JavaScript), then what was imported or every problem found."""
    job = _import_job(request, pk)
    batch = job.batch
    context = {
        "job": job,
        "batch": batch,
        "status_url": reverse("paper:import_job_status", args=[job.pk]),
        "file_error": job.error if job.status == ImportJob.Status.FAILED else "",
        "row_errors": _row_errors(definition_for(batch.checklist), job.row_errors, batch.language),
        "more_errors": max(0, job.row_error_count - len(job.row_errors)),
        "outcome": _outcome(job.outcome) if job.outcome else "",
    }
    return _page(request, "surveys/paper/import_job.html", context)


@paper_view(coordinator=True)
def import_job_status(request, pk: int):
    """The JSON the progress bar polls (static/js/reports.js, shared with report jobs)."""
    job = _import_job(request, pk)
    data = {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "progress": job.percent,
        "rows_checked": job.progress,
        "rows_total": job.progress_total,
        "finished": job.is_finished,
    }
    return JsonResponse(data, headers={"Cache-Control": "no-store"})


def _outcome(outcome: dict) -> str:
    return IMPORT_COMMITTED % {
        "entries": outcome["entries"],
        "first": outcome["first_entries"],
        "committed": outcome["committed"],
        "conflicts": outcome["conflicts"],
    }


def _row_errors(definition, errors: list[dict], language: str) -> list[dict]:
    """The stored problems of a job (in sheet order already) with each question's text."""
    numbers = definition.numbers
    rows = []
    for error in errors:
        item = definition.by_code.get(error["column"])
        question = f"{numbers[item.code]}. {item.question(language)}" if item else ""
        rows.append({**error, "question": question})
    return rows


# ---------------------------------------------------------------------------- coordinators


@paper_view(coordinator=True)
def queue(request):
    sheets = Paginator(reconciliation_queue(paper_districts(request.user)), 100).get_page(request.GET.get("page"))
    return _page(request, "surveys/paper/queue.html", {"sheets": sheets})


def _entries_table(definition, sheet: Sheet, language: str) -> tuple[list, list[dict]]:
    entries = list(sheet.entries.select_related("entered_by").order_by("created_at", "pk"))
    numbers = definition.numbers
    flagged = {code for entry in entries for code in entry.not_applicable}
    final = sheet.response.answers if sheet.response else None
    rows = []
    for item in definition.items:
        values = [entry.answers.get(item.code) for entry in entries]
        rows.append(
            {
                "number": numbers[item.code],
                "item": item,
                "question": item.question(language),
                "values": [display_value(item, value, language) for value in values],
                "differs": len(values) == 2 and values[0] != values[1],
                "not_applicable": item.code in flagged,
                "final": display_value(item, final.get(item.code), language) if final is not None else None,
                "corrected": final is not None and any(value != final.get(item.code) for value in values),
            }
        )
    return entries, rows


@paper_view(coordinator=True)
def sheet_detail(request, serial: str):
    sheet = _sheet(request, serial)
    definition = definition_for(sheet.batch.checklist)
    language = sheet.batch.language
    entries, rows = _entries_table(definition, sheet, language)
    changes = sheet.changes.select_related("changed_by")
    numbers = definition.numbers
    history = [
        {
            "change": change,
            "item": f"{numbers.get(change.item_code, '')}. {change.item_code}" if change.item_code else "",
            "old": _history_value(definition, change.item_code, change.old_value, language),
            "new": _history_value(definition, change.item_code, change.new_value, language),
        }
        for change in changes
    ]
    context = {
        "sheet": sheet,
        "batch": sheet.batch,
        "entries": entries,
        "rows": rows,
        "history": history,
        "void_form": VoidForm(),
    }
    return _page(request, "surveys/paper/sheet_detail.html", context)


def _history_value(definition, code: str, value, language: str) -> str:
    item = definition.by_code.get(code)
    if isinstance(value, dict) and set(value) == {"first", "second"}:
        return _("first: %(first)s; second: %(second)s") % {
            "first": display_value(item, value["first"], language),
            "second": display_value(item, value["second"], language),
        }
    if not code:
        return str(Sheet.Status(value).label) if value in Sheet.Status.values else str(value or "")
    return display_value(item, value, language)


@paper_view(coordinator=True)
def sheet_reconcile(request, serial: str):
    sheet = _sheet(request, serial)
    if sheet.status != Sheet.Status.CONFLICT:
        messages.info(request, _("This sheet is not waiting for reconciliation."))
        return redirect("paper:sheet", serial=sheet.serial)
    definition = definition_for(sheet.batch.checklist)
    language = sheet.batch.language
    first, second = list(sheet.entries.select_related("entered_by").order_by("created_at", "pk"))
    differing = differing_items(definition, first.answers, second.answers)
    agreed = agreed_answers(definition, first.answers, second.answers)
    initial = {item.code: keyed_text(item, agreed.get(item.code)) for item in definition.items}
    form = ReconcileForm(
        request.POST or None,
        initial=initial,
        definition=definition,
        language=language,
        numbers=definition.numbers,
        first=first.answers,
        second=second.answers,
        differing=differing,
    )
    if request.method == "POST" and form.is_valid():
        answers = form.answers()
        if form.is_valid():  # answers() adds an error for each item left undecided
            try:
                paper_sheet_reconcile(
                    sheet=sheet, user=request.user, answers=answers, reason=form.cleaned_data["reason"]
                )
            except PaperRejected as rejected:
                if rejected.forbidden:
                    return _forbidden(request)
                form.add_answer_errors(rejected.errors.get("answers", {}))
                for message in rejected.errors.get("__all__", []):
                    form.add_error(None, message)
            else:
                messages.success(request, _("Sheet %(serial)s reconciled and committed.") % {"serial": sheet.serial})
                next_sheet = reconciliation_queue(paper_districts(request.user)).first()
                if next_sheet is not None:
                    return redirect("paper:reconcile", serial=next_sheet.serial)
                return redirect("paper:queue")
    flagged = set(first.not_applicable) | set(second.not_applicable)
    context = {
        "sheet": sheet,
        "batch": sheet.batch,
        "form": form,
        "first": first,
        "second": second,
        "flagged": flagged,
        "numbers": definition.numbers,
    }
    return _page(request, "surveys/paper/sheet_reconcile.html", context)


@paper_view(coordinator=True)
def sheet_edit(request, serial: str):
    sheet = _sheet(request, serial)
    if sheet.status != Sheet.Status.COMMITTED:
        messages.info(request, _("Only a committed sheet can be edited."))
        return redirect("paper:sheet", serial=sheet.serial)
    definition = definition_for(sheet.batch.checklist)
    form = EditForm(
        request.POST or None,
        initial=EditForm.initial_from(definition, sheet.response.answers),
        definition=definition,
        language=sheet.batch.language,
        numbers=definition.numbers,
    )
    if request.method == "POST" and form.is_valid():
        try:
            changes = paper_response_edit(
                sheet=sheet, user=request.user, answers=form.answers(), reason=form.cleaned_data["reason"]
            )
        except PaperRejected as rejected:
            if rejected.forbidden:
                return _forbidden(request)
            form.add_answer_errors(rejected.errors.get("answers", {}))
            for message in rejected.errors.get("reason", []):
                form.add_error("reason", message)
            for message in rejected.errors.get("__all__", []):
                form.add_error(None, message)
        else:
            messages.success(
                request,
                ngettext("%(count)d answer corrected.", "%(count)d answers corrected.", len(changes))
                % {"count": len(changes)},
            )
            return redirect("paper:sheet", serial=sheet.serial)
    return _page(request, "surveys/paper/sheet_edit.html", {"sheet": sheet, "batch": sheet.batch, "form": form})


@require_POST
@paper_view(coordinator=True)
def sheet_void(request, serial: str):
    sheet = _sheet(request, serial)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            paper_sheet_void(sheet=sheet, user=request.user, reason=form.cleaned_data["reason"])
        except PaperRejected as rejected:
            for field_messages in rejected.errors.values():
                for message in field_messages:
                    messages.error(request, message)
        else:
            messages.success(request, _("Sheet %(serial)s is void.") % {"serial": sheet.serial})
    else:
        for field_messages in form.errors.values():
            for message in field_messages:
                messages.error(request, message)
    return redirect("paper:sheet", serial=sheet.serial)


@paper_view(coordinator=True)
def progress(request):
    districts = list(paper_districts(request.user).order_by("code"))
    waves = list(
        Wave.objects.annotate(n=Count("batches", filter=Q(batches__district__in=districts))).order_by("-starts_on")
    )
    wave = None
    if request.GET.get("wave"):
        wave = next((w for w in waves if w.code == request.GET["wave"]), None)
    wave = wave or Wave.current() or (waves[0] if waves else None)
    context = {
        "waves": waves,
        "wave": wave,
        "districts": district_progress(districts, wave) if wave else [],
        "volunteers": volunteer_progress(districts, wave) if wave else [],
    }
    return _page(request, "surveys/paper/progress.html", context)
