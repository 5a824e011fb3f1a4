"""REST API of paper entry: key a sheet by its serial, read a batch's status.

Token or session authentication (settings.REST_FRAMEWORK). The same service as the entry
form does the work, so the answers get the same checks and the same messages.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from .api import DETAIL, EXAMPLE_BODY, FORBIDDEN, AnswerErrorsField, AnswersField, messages_field
from .paper_models import Batch, Sheet
from .paper_selectors import batch_counts, batches_with_counts
from .paper_services import (
    PaperRejected,
    can_key,
    paper_districts,
    paper_entry_create,
    sheet_for_entry,
    works_in,
)
from .serials import make_serial

NOT_A_KEYER = _("Only volunteers and coordinators enter paper sheets.")


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
