"""REST API of paper entry: key a sheet by its serial, read a batch's status, import a file
of keyed sheets and follow its import job.

Token or session authentication (settings.REST_FRAMEWORK). The same service as the entry
form does the work, so the answers get the same checks and the same messages.
"""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import APIException, ParseError, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from .api import DETAIL, EXAMPLE_BODY, FORBIDDEN, AnswerErrorsField, AnswersField, messages_field
from .paper_import import FILE_TOO_LARGE
from .paper_import_jobs import IMPORT_JOB_NOT_YOURS, IMPORT_NOT_YOURS, can_see_import, paper_import_upload
from .paper_models import Batch, ImportJob, Sheet
from .paper_selectors import batch_counts, batches_with_counts
from .paper_services import (
    PaperRejected,
    can_coordinate,
    can_key,
    paper_districts,
    paper_entry_create,
    sheet_for_entry,
    works_in,
)
from .serials import make_serial

NOT_A_KEYER = _("Only volunteers and coordinators enter paper sheets.")
NOT_A_COORDINATOR = _("Only coordinators import files of keyed sheets.")


class CanKey(permissions.BasePermission):
    message = NOT_A_KEYER

    def has_permission(self, request, view):
        return can_key(request.user)


class EntryIn(serializers.Serializer):
    serial = serializers.CharField(max_length=80, help_text="The sheet serial, e.g. KRG-KZB-2020-000123-2.")
    # The public API's field: the same value types in the schema, the same message for a non-object.
    answers = AnswersField(
        help_text="Item code -> value as on the sheet: the option value (an integer), a list of them for "
        "multiple choice, a number, or text. Leave out what is blank on the paper.",
    )


class EntryOut(serializers.Serializer):
    serial = serializers.CharField()
    status = serializers.ChoiceField(choices=Sheet.Status.choices)
    entry = serializers.IntegerField(help_text="1 for the first entry of the sheet, 2 for the second.")
    committed = serializers.BooleanField(help_text="True when both entries agreed and the response was stored.")
    differing_items = serializers.IntegerField(help_text="On a second entry: how many items differ from the first.")
    not_applicable = serializers.ListField(
        child=serializers.CharField(), help_text="Follow-ups answered although their condition is false (kept)."
    )


class SheetOut(serializers.Serializer):
    serial = serializers.CharField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Sheet.Status.choices)
    entries = serializers.IntegerField(source="entry_count")


class CountsOut(serializers.Serializer):
    printed = serializers.IntegerField()
    entered_once = serializers.IntegerField()
    entered_twice = serializers.IntegerField()
    conflict = serializers.IntegerField()
    committed = serializers.IntegerField()
    void = serializers.IntegerField()


class BatchOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    district = serializers.CharField(source="district.code")
    wave = serializers.CharField(source="wave.code")
    language = serializers.CharField()
    checklist_version = serializers.IntegerField(source="checklist.version")
    size = serializers.IntegerField()
    pdf_status = serializers.ChoiceField(choices=Batch.PdfStatus.choices)


ERRORS_400 = inline_serializer(
    "PaperEntryErrors",
    {
        "serial": messages_field(),
        "answers": AnswerErrorsField(required=False),
        "non_field_errors": messages_field(),
        "detail": serializers.CharField(required=False, help_text="The body as a whole: too large, not JSON."),
    },
)
# The first sheet of Kazybek Bi district in wave 2020, keyed with the public API's example answers.
EXAMPLE_ENTRY = {"serial": make_serial("KRG-KZB", "2020", 1), "answers": EXAMPLE_BODY["answers"]}


class EntryCreate(APIView):
    permission_classes = [permissions.IsAuthenticated, CanKey]

    @extend_schema(
        operation_id="paper_entry_create",
        summary="Key in one paper sheet",
        description="Stores one entry of the sheet. The second entry, by another person, is compared with the "
        "first: identical -> the response is committed; different -> the sheet waits for the coordinator.",
        request=EntryIn,
        responses={
            201: EntryOut,
            400: OpenApiResponse(ERRORS_400, description="Nothing stored; messages by field and by item code."),
            403: OpenApiResponse(
                DETAIL, description="Not a volunteer or coordinator, not logged in, or the sheet belongs to a "
                "district you do not work in."
            ),
            415: OpenApiResponse(DETAIL, description="Not application/json."),
        },
        examples=[OpenApiExample("A sheet keyed in", value=EXAMPLE_ENTRY, request_only=True)],
        tags=["paper"],
    )
    def post(self, request):
        data = EntryIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            sheet = sheet_for_entry(serial=data.validated_data["serial"], user=request.user)
            outcome = paper_entry_create(sheet=sheet, user=request.user, answers=data.validated_data["answers"])
        except PaperRejected as rejected:
            if rejected.forbidden:
                raise PermissionDenied(" ".join(rejected.errors.get("serial", []))) from None
            errors = dict(rejected.errors)
            if "__all__" in errors:
                errors["non_field_errors"] = errors.pop("__all__")
            return ApiResponse(errors, status=status.HTTP_400_BAD_REQUEST)
        body = {
            "serial": outcome.sheet.serial,
            "status": outcome.sheet.status,
            "entry": outcome.sheet.entry_count,
            "committed": outcome.committed,
            "differing_items": len(outcome.differing),
            "not_applicable": outcome.entry.not_applicable,
        }
        return ApiResponse(EntryOut(body).data, status=status.HTTP_201_CREATED)


class BatchList(APIView):
    permission_classes = [permissions.IsAuthenticated, CanKey]

    @extend_schema(
        operation_id="paper_batch_list",
        summary="The batches of your districts",
        responses={200: BatchOut(many=True), 403: FORBIDDEN},
        tags=["paper"],
    )
    def get(self, request):
        batches = batches_with_counts(paper_districts(request.user)).select_related("checklist")[:200]
        return ApiResponse(BatchOut(batches, many=True).data)


class BatchStatus(APIView):
    permission_classes = [permissions.IsAuthenticated, CanKey]

    @extend_schema(
        operation_id="paper_batch_status",
        summary="A batch's status: counts by state and every sheet",
        responses={
            200: inline_serializer(
                "PaperBatchStatus",
                {"batch": BatchOut(), "counts": CountsOut(), "sheets": SheetOut(many=True)},
            ),
            403: OpenApiResponse(
                DETAIL, description="Not a volunteer or coordinator, not logged in, or the batch belongs to a "
                "district you do not work in."
            ),
            404: OpenApiResponse(DETAIL, description="No such batch."),
        },
        tags=["paper"],
    )
    def get(self, request, pk: int):
        batch = get_object_or_404(Batch.objects.select_related("district", "wave", "checklist"), pk=pk)
        if not works_in(request.user, batch.district):
            raise PermissionDenied(_("This batch belongs to a district you do not work in."))
        sheets = batch.sheets.order_by("number").only("serial", "number", "status", "entry_count")
        return ApiResponse(
            {
                "batch": BatchOut(batch).data,
                "counts": CountsOut(batch_counts(batch)).data,
                "sheets": SheetOut(sheets, many=True).data,
            }
        )


# ---------------------------------------------------------------------------- file imports


class CanCoordinate(permissions.BasePermission):
    message = NOT_A_COORDINATOR

    def has_permission(self, request, view):
        return can_coordinate(request.user)


class FileTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"


def _too_large() -> FileTooLarge:
    return FileTooLarge(FILE_TOO_LARGE % {"limit": filesizeformat(settings.PAPER_IMPORT_MAX_BYTES)})


class BoundedMultiPartParser(MultiPartParser):
    """A multipart upload of at most PAPER_IMPORT_MAX_BYTES (and a little for the form
    around it): a larger declared Content-Length is refused before anything is read, and
    Django's own refusals (too many fields or files) are a 400 in JSON, not a page."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > settings.PAPER_IMPORT_MAX_BYTES + 64 * 1024:
                raise _too_large()
        try:
            return super().parse(stream, media_type, parser_context)
        except SuspiciousOperation as refused:
            raise ParseError(str(refused)) from None


class ImportIn(serializers.Serializer):
    file = serializers.FileField(
        help_text="The filled-in template of the batch: XLSX, or CSV in UTF-8 or Windows-1251 (recognised by "
        "the content, not the name), at most PAPER_IMPORT_MAX_BYTES."
    )


class ImportRowError(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row of the spreadsheet; 1 is the header.")
    column = serializers.CharField(help_text="The column: `serial` or an item code.")
    message = serializers.CharField()


class ImportOutcome(serializers.Serializer):
    entries = serializers.IntegerField(help_text="Entries stored, one per row that was not blank.")
    first_entries = serializers.IntegerField(help_text="Of them, first entries of their sheets.")
    committed = serializers.IntegerField(help_text="Sheets committed: the second entry agreed with the first.")
    conflicts = serializers.IntegerField(help_text="Sheets sent to reconciliation.")


class ImportJobOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    url = serializers.SerializerMethodField(help_text="This job in the API: poll it until it is finished.")
    batch = serializers.IntegerField(source="batch_id")
    filename = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    status = serializers.ChoiceField(
        choices=ImportJob.Status.choices,
        help_text="uploaded (waiting for a worker), checking, then failed (nothing stored) or committed (all "
        "rows stored).",
    )
    finished = serializers.BooleanField(source="is_finished")
    progress = serializers.IntegerField(source="percent", help_text="0-100.")
    rows_checked = serializers.IntegerField(source="progress", help_text="Rows of the file read so far.")
    rows_total = serializers.IntegerField(
        source="progress_total", allow_null=True, help_text="Rows of the file after the header; null until known."
    )
    error = serializers.CharField(help_text="Of a failed job, the file's problem when it is the file as a whole.")
    row_errors = ImportRowError(
        many=True, help_text="Of a failed job, every problem by row and column, in sheet order (the first 1,000)."
    )
    row_error_count = serializers.IntegerField(help_text="How many problems there were in all.")
    outcome = ImportOutcome(allow_null=True, help_text="Of a committed job, what was stored.")
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, job) -> str:
        path = reverse("paper-import-detail", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


IMPORT_ERRORS_400 = inline_serializer(
    "PaperImportErrors",
    {
        "file": messages_field(),
        "detail": serializers.CharField(required=False, help_text="The body as a whole: not a multipart form."),
    },
)
NOT_A_COORDINATOR_403 = OpenApiResponse(
    DETAIL, description="Not a coordinator, not logged in, or the batch belongs to a district you do not work in."
)


class ImportCreate(APIView):
    permission_classes = [permissions.IsAuthenticated, CanCoordinate]
    parser_classes = [BoundedMultiPartParser]

    @extend_schema(
        operation_id="paper_import_create",
        summary="Import a file of keyed sheets into a batch",
        description="Stores the file as an import job and answers at once with 202 and the job (its URL also in "
        "Location). The job reads and checks every row in the background, then imports all of them or none: "
        "poll the job until `finished`. Each row counts as one keying by you.",
        request={"multipart/form-data": ImportIn},
        parameters=[
            OpenApiParameter(
                "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[202], required=True,
                description="The job's URL.",
            ),
        ],
        responses={
            202: OpenApiResponse(ImportJobOut, description="Stored; the job checks the file."),
            400: OpenApiResponse(IMPORT_ERRORS_400, description="No file, an empty file, or not a multipart form."),
            403: NOT_A_COORDINATOR_403,
            404: OpenApiResponse(DETAIL, description="No such batch."),
            413: OpenApiResponse(DETAIL, description="The file is larger than PAPER_IMPORT_MAX_BYTES."),
            415: OpenApiResponse(DETAIL, description="Not multipart/form-data."),
        },
        tags=["paper"],
    )
    def post(self, request, pk: int):
        batch = get_object_or_404(Batch.objects.select_related("district"), pk=pk)
        if not works_in(request.user, batch.district):
            raise PermissionDenied(IMPORT_NOT_YOURS)
        data = ImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        limit = settings.PAPER_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise _too_large()
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
                raise PermissionDenied(" ".join(rejected.errors.get("__all__", []))) from None
            return ApiResponse({"file": rejected.errors.get("file", [])}, status=status.HTTP_400_BAD_REQUEST)
        body = ImportJobOut(job, context={"request": request}).data
        return ApiResponse(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ImportDetail(APIView):
    permission_classes = [permissions.IsAuthenticated, CanCoordinate]

    @extend_schema(
        operation_id="paper_import_retrieve",
        summary="An import job: status, progress, and the outcome or every problem",
        responses={
            200: ImportJobOut,
            403: OpenApiResponse(
                DETAIL, description="Not a coordinator, not logged in, or the job's batch belongs to a district you "
                "do not work in."
            ),
            404: OpenApiResponse(DETAIL, description="No such import job."),
        },
        tags=["paper"],
    )
    def get(self, request, pk: int):
        jobs = ImportJob.objects.defer(*ImportJob.HEAVY_FIELDS).select_related("batch__district", "uploaded_by")
        job = get_object_or_404(jobs, pk=pk)
        if not can_see_import(request.user, job):
            raise PermissionDenied(IMPORT_JOB_NOT_YOURS)
        return ApiResponse(ImportJobOut(job, context={"request": request}).data)
