"""The reports API: request a report, follow its job, download its files, read the published
figures, and (analysts) have the figures published now.

Thin (STYLE.md rule 1): serializers parse, one service acts. Session or token auth;
analysts see everything, coordinators their districts, everyone else gets 403.
"""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from checklist.definition import LANGUAGES
from checklist.models import District
from surveys.api import DETAIL, FORBIDDEN, ListErrorsField, messages_field
from surveys.models import Wave

from . import services, snapshots
from .models import DownloadLog, Format, ReportFile, ReportJob, Snapshot

UNKNOWN_SCOPE = _('Give "region" or the code of a district, e.g. KRG-KZB.')
UNKNOWN_WAVE = _("There is no wave with this code.")
UNKNOWN_DISTRICT = _("There is no district with this code.")
NO_OPEN_WAVE = _("Give a wave: no wave is open.")
FORBIDDEN_REQUEST = _("Not your district; or the region or exports, which need the analyst role.")


class IsReportsUser(BasePermission):
    message = services.NOT_A_REPORTS_USER

    def has_permission(self, request, view):
        return services.can_use_reports(request.user)


class IsAnalyst(BasePermission):
    message = snapshots.SNAPSHOTS_FOR_ANALYSTS

    def has_permission(self, request, view):
        return services.is_analyst(request.user)


class CodeField(serializers.SlugRelatedField):
    """A row by its code. A code with a NUL character is unknown without asking the database:
    PostgreSQL cannot compare text holding one (a DataError, which would be a 500)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


class ReportRequestSerializer(serializers.Serializer):
    scope = serializers.CharField(help_text=_('"region" or a district code such as KRG-KZB.'))
    wave = CodeField(
        slug_field="code", queryset=Wave.objects.all(), error_messages={"does_not_exist": UNKNOWN_WAVE}
    )
    # Plain codes, as in the survey API, so the schema has one language enum.
    language = serializers.ChoiceField(choices=list(LANGUAGES))
    formats = serializers.ListField(child=serializers.ChoiceField(choices=Format.values), allow_empty=False)

    def validate_scope(self, value):
        if value == services.REGION:
            return value
        district = District.objects.filter(code=value).first()
        if district is None:
            raise serializers.ValidationError(UNKNOWN_SCOPE)
        return district


class ReportFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("Download link (the download is logged)."))

    class Meta:
        model = ReportFile
        fields = ["id", "format", "filename", "mimetype", "size", "url"]

    def get_url(self, file) -> str:
        path = reverse("reports-api:file", args=[file.job_id, file.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ReportJobSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_code", help_text=_('"region" or the district code.'))
    wave = serializers.CharField(source="wave.code")
    language = serializers.ChoiceField(choices=list(LANGUAGES), read_only=True)
    formats = serializers.ListField(source="format_list", child=serializers.CharField())
    requested_by = serializers.SerializerMethodField()
    files = ReportFileSerializer(many=True, read_only=True)

    class Meta:
        model = ReportJob
        fields = [
            "id", "scope", "wave", "language", "formats", "status", "progress", "error", "attempts",
            "fingerprint", "requested_by", "created_at", "started_at", "finished_at", "files",
        ]

    def get_requested_by(self, job) -> str | None:
        return job.requested_by.get_username() if job.requested_by else None


REQUEST_ERRORS = inline_serializer(
    "ReportRequestErrors",
    {
        "scope": messages_field(),
        "wave": messages_field(),
        "language": messages_field(),
        "formats": ListErrorsField(required=False),
        "non_field_errors": messages_field(),
        "detail": serializers.CharField(required=False, help_text=_("The body as a whole: too large, not JSON.")),
    },
)
NOT_FOUND = OpenApiResponse(DETAIL, description=_("No such job or file in your districts."))
# The media types of what jobs store (reports.rendering, reports.exports).
FILE_TYPES = ["text/html", "application/pdf", "text/csv", "application/vnd.openxmlformats-officedocument."
              "spreadsheetml.sheet", "application/x-spss-sav"]


class ReportJobCreate(APIView):
    permission_classes = [IsReportsUser]

    @extend_schema(
        operation_id="reports_create",
        request=ReportRequestSerializer,
        examples=[
            OpenApiExample(
                _("The report of a district"),
                value={"scope": "KRG-KZB", "wave": "2020", "language": "ru", "formats": ["pdf", "html"]},
                request_only=True,
            ),
        ],
        responses={
            202: OpenApiResponse(ReportJobSerializer, description=_("Queued (or already being made).")),
            200: OpenApiResponse(ReportJobSerializer, description=_("Unchanged input: the finished job.")),
            400: OpenApiResponse(REQUEST_ERRORS, description=_("Field errors.")),
            403: OpenApiResponse(DETAIL, description=FORBIDDEN_REQUEST),
            415: OpenApiResponse(DETAIL, description=_("Not application/json.")),
        },
        summary=_("Request a report or an export"),
    )
    def post(self, request):
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            job, reused = services.report_request(user=request.user, **serializer.validated_data)
        except services.ReportRefused as refused:
            return Response(refused.errors, status=status.HTTP_400_BAD_REQUEST)
        job = ReportJob.objects.select_related("district", "wave", "requested_by").prefetch_related("files").get(
            pk=job.pk
        )
        code = status.HTTP_200_OK if reused and job.status == ReportJob.Status.DONE else status.HTTP_202_ACCEPTED
        return Response(ReportJobSerializer(job, context={"request": request}).data, status=code)


class ReportJobDetail(APIView):
    permission_classes = [IsReportsUser]

    @extend_schema(
        operation_id="reports_retrieve",
        responses={200: ReportJobSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
        summary=_("A report job: status, progress and file links"),
    )
    def get(self, request, job_id: int):
        job = get_object_or_404(services.jobs_visible_to(request.user).prefetch_related("files"), pk=job_id)
        return Response(ReportJobSerializer(job, context={"request": request}).data)


class ReportFileDownload(APIView):
    permission_classes = [IsReportsUser]

    @extend_schema(
        operation_id="reports_file_download",
        responses={
            **{(200, kind): OpenApiResponse(OpenApiTypes.BINARY, description=_("The file.")) for kind in FILE_TYPES},
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        summary=_("Download a report file (logged)"),
    )
    def get(self, request, job_id: int, file_id: int):
        file = get_object_or_404(
            ReportFile.objects.select_related("job__district", "job__wave"), pk=file_id, job_id=job_id
        )
        if not services.can_see_scope(request.user, file.job.district):
            raise Http404
        try:
            handle = services.report_file_download(user=request.user, file=file, channel=DownloadLog.Channel.API)
        except FileNotFoundError as missing:
            raise Http404(str(missing)) from None
        return FileResponse(handle, as_attachment=True, filename=file.filename, content_type=file.mimetype)


# --- Aggregates --------------------------------------------------------------------------


class EstimateSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text=_("0–100 for scores, 0–1 for shares."))
    se = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True, help_text=_("Lower end of the 95 per cent confidence interval."))
    high = serializers.FloatField(allow_null=True, help_text=_("Upper end of the 95 per cent confidence interval."))
    n = serializers.IntegerField(allow_null=True)
    n_eff = serializers.FloatField(allow_null=True)
    deff = serializers.FloatField(allow_null=True)
    suppressed = serializers.BooleanField(help_text=_("Fewer than REPORT_MIN_CELL responses: no numbers."))


class ChangeSerializer(serializers.Serializer):
    diff = serializers.FloatField(allow_null=True)
    se = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    significant = serializers.BooleanField(allow_null=True)
    suppressed = serializers.BooleanField()


class ChangesSerializer(serializers.Serializer):
    index = ChangeSerializer(allow_null=True)
    sdg = ChangeSerializer(allow_null=True)


class FiguresSerializer(serializers.Serializer):
    n_eff = serializers.FloatField(allow_null=True)
    deff = serializers.FloatField(allow_null=True)
    index = EstimateSerializer(help_text=_("Perceived-safety index (METHOD.md §3.2), mean 0–100."))
    environment = EstimateSerializer()
    police = EstimateSerializer()
    overall = EstimateSerializer()
    sdg = EstimateSerializer(help_text=_("SDG 16.1.4: share feeling safe walking alone after dark."))
    change = ChangesSerializer(allow_null=True, required=False, help_text=_("Since the previous wave."))


class UnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    n = serializers.IntegerField(allow_null=True)
    suppressed = serializers.BooleanField()
    weighted = FiguresSerializer()
    unweighted = FiguresSerializer()


class PublishedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The snapshot the figures come from."))
    created_at = serializers.DateTimeField(help_text=_("When its figures were published."))


class AggregatesSerializer(serializers.Serializer):
    wave = serializers.CharField()
    previous_wave = serializers.CharField(allow_null=True)
    min_cell = serializers.IntegerField()
    fingerprint = serializers.CharField(help_text=_("Input fingerprint of the snapshot."))
    snapshot = PublishedSerializer(
        help_text=_("Which publication these figures are (METHOD.md §4.10: published as snapshots, never live).")
    )
    weighting = serializers.CharField()
    region = UnitSerializer(allow_null=True, help_text=_("The whole region (analysts, without ?district=)."))
    districts = UnitSerializer(many=True)


class AggregatesQuerySerializer(serializers.Serializer):
    wave = CodeField(
        slug_field="code", queryset=Wave.objects.all(), required=False,
        error_messages={"does_not_exist": UNKNOWN_WAVE},
    )
    district = CodeField(
        slug_field="code", queryset=District.objects.all(), required=False,
        error_messages={"does_not_exist": UNKNOWN_DISTRICT},
    )

    def validate(self, data):
        if "wave" not in data:
            current = Wave.current()
            if current is None:
                raise serializers.ValidationError({"wave": [NO_OPEN_WAVE]})
            data["wave"] = current
        return data


class Aggregates(APIView):
    permission_classes = [IsReportsUser]

    @extend_schema(
        operation_id="aggregates_retrieve",
        parameters=[
            OpenApiParameter("wave", str, description=_("Wave code; the open wave when left out.")),
            OpenApiParameter("district", str, description=_("District code; all your districts when left out.")),
        ],
        responses={
            200: AggregatesSerializer,
            400: OpenApiResponse(
                inline_serializer("AggregatesQueryErrors", {"wave": messages_field(), "district": messages_field()}),
                description=_("Unknown wave or district."),
            ),
            403: OpenApiResponse(
                DETAIL, description=_("Not logged in, not of the working group, or not your district.")
            ),
            404: OpenApiResponse(DETAIL, description=snapshots.NOT_PUBLISHED),
        },
        summary=_("The published figures of a wave by district, small cells suppressed"),
        description=_(
            "The figures of the wave's latest snapshot (METHOD.md §4.10): computed by a job, never live per "
            "response, rounded to what the reports display. A district's figures change only once at least "
            "REPORT_MIN_CELL responses were added to it, removed from it or corrected since they were last "
            "published. Analysts can have them published now: POST /api/v1/snapshots/."
        ),
    )
    def get(self, request):
        query = AggregatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            figures = services.aggregates_for(
                user=request.user, wave=query.validated_data["wave"], district=query.validated_data.get("district")
            )
        except snapshots.NotPublished as missing:
            return Response({"detail": str(missing)}, status=status.HTTP_404_NOT_FOUND)
        return Response(figures)


# --- Snapshots (analysts) -----------------------------------------------------------------


class SnapshotSerializer(serializers.ModelSerializer):
    wave = serializers.CharField(source="wave.code")
    requested_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text=_("This snapshot: its state and provenance."))
    aggregates = serializers.SerializerMethodField(help_text=_("The wave's published figures."))

    class Meta:
        model = Snapshot
        fields = [
            "id", "wave", "status", "trigger", "requested_by", "requested_at", "created_at", "error",
            "fingerprint", "settings_used", "code_version", "republished", "url", "aggregates",
        ]

    def get_requested_by(self, snapshot) -> str | None:
        return snapshot.requested_by.get_username() if snapshot.requested_by else None

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, snapshot) -> str:
        return self._absolute(reverse("reports-api:snapshot", args=[snapshot.pk]))

    def get_aggregates(self, snapshot) -> str:
        return self._absolute(f"{reverse('reports-api:aggregates')}?wave={snapshot.wave.code}")


class SnapshotRequestSerializer(serializers.Serializer):
    wave = CodeField(
        slug_field="code", queryset=Wave.objects.all(), required=False,
        error_messages={"does_not_exist": UNKNOWN_WAVE}, help_text=_("Wave code; the open wave when left out."),
    )

    def validate(self, data):
        if "wave" not in data:
            current = Wave.current()
            if current is None:
                raise serializers.ValidationError({"wave": [NO_OPEN_WAVE]})
            data["wave"] = current
        return data


class SnapshotCreate(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(
        operation_id="snapshots_create",
        request=SnapshotRequestSerializer,
        examples=[OpenApiExample(_("Publish the figures of wave 2020"), value={"wave": "2020"}, request_only=True)],
        responses={
            202: OpenApiResponse(SnapshotSerializer, description=_("Queued: its task publishes the figures.")),
            200: OpenApiResponse(SnapshotSerializer, description=_("Nothing changed since the latest snapshot.")),
            400: OpenApiResponse(
                inline_serializer("SnapshotRequestErrors", {
                    "wave": messages_field(),
                    "detail": serializers.CharField(required=False),
                }),
                description=_("Unknown wave, no open wave, or a body that is not JSON."),
            ),
            403: OpenApiResponse(DETAIL, description=snapshots.SNAPSHOTS_FOR_ANALYSTS),
            415: OpenApiResponse(DETAIL, description=_("Not application/json.")),
        },
        summary=_("Publish a wave's figures now (analysts)"),
        description=_(
            "Makes a snapshot of the wave's figures (METHOD.md §4.10), as the nightly run does. Units whose "
            "input changed by fewer than REPORT_MIN_CELL responses keep their last published figures."
        ),
    )
    def post(self, request):
        serializer = SnapshotRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        snapshot, queued = snapshots.snapshot_request(user=request.user, wave=serializer.validated_data["wave"])
        snapshot = Snapshot.objects.select_related("wave", "requested_by").get(pk=snapshot.pk)
        return Response(
            SnapshotSerializer(snapshot, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK,
        )


class SnapshotDetail(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(
        operation_id="snapshots_retrieve",
        responses={
            200: SnapshotSerializer,
            403: OpenApiResponse(DETAIL, description=snapshots.SNAPSHOTS_FOR_ANALYSTS),
            404: OpenApiResponse(DETAIL, description=_("No such snapshot.")),
        },
        summary=_("A snapshot: its state and provenance (analysts)"),
    )
    def get(self, request, snapshot_id: int):
        snapshot = get_object_or_404(
            Snapshot.objects.select_related("wave", "requested_by").defer("results"), pk=snapshot_id
        )
        return Response(SnapshotSerializer(snapshot, context={"request": request}).data)
