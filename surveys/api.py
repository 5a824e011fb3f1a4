"""The public REST API (docs/api.md): the checklist, the districts, and anonymous responses.

Thin views: they parse, call `response_submit`, and serialize. All three are open to
anyone (AllowAny) and authenticate nobody, so a JSON POST needs no CSRF token and no
session is touched. Error bodies: `{"field": ["message"]}`, `{"answers": {"item_code":
["message"]}}`, or `{"detail": "message"}` for the request as a whole; messages follow
Accept-Language (LocaleMiddleware).
"""

import hashlib
import json
import time

from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from checklist.answers import NOT_AN_OPTION, clean_answers
from checklist.definition import LANGUAGES, definition_for, pick
from checklist.models import District

from . import current
from .models import Response as SurveyResponse
from .parsers import BoundedJSONParser
from .ratelimit import rate_limit_give_back, rate_limit_retry_after, rate_limit_take
from .services import (
    CLIENT_ID_REUSED,
    DISTRICT_TAKES_NO_RESPONSES,
    NO_CHECKLIST,
    UNKNOWN_LANGUAGE,
    ClientIdReused,
    ResponseRejected,
    repeated_response,
    response_submit,
)

UNKNOWN_DISTRICT = _("There is no district with this code.")
# No braces in messages DRF formats (self.fail): it calls str.format on them.
ANSWERS_NOT_AN_OBJECT = _("Send the answers as an object that maps item codes to values.")
CLIENT_ID_NOT_A_UUID = _("Send the client id as a UUID string: a new random one (version 4) for each response.")
RATE_LIMITED = _("Too many responses have come from your network in the last hour. Please try again later.")
# The resident form's scope: one limit per address across both channels.
RATE_LIMIT_SCOPE = "survey"
UNKNOWN_LANG_PARAMETER = _("Use lang=ru, lang=kk or lang=en, or leave it out for all three.")

# Public lists change a few times a year; clients and proxies may keep them this long.
PUBLIC_MAX_AGE = 300


# --------------------------------------------------------------------------- error bodies
# Shared by every API of the project (surveys/paper_api.py, reports/api.py), so that the schema
# says what DRF really answers: `{"detail": "..."}` for the request as a whole, a list of messages
# per field, and for `answers` a message list per item code (or one list when it is no object).

MESSAGES = {"type": "array", "items": {"type": "string"}}
DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})
FORBIDDEN = OpenApiResponse(
    DETAIL,
    description="No or an invalid token or session (`Authentication credentials were not provided.`, "
    "`Invalid token.`), or a role or district that may not do this.",
)


@extend_schema_field(
    {
        "oneOf": [{"type": "object", "additionalProperties": MESSAGES}, MESSAGES],
        "description": "Item code -> messages; or a list of messages when `answers` is missing or not an object.",
    }
)
class AnswerErrorsField(serializers.Field):
    """Documents the errors of an `answers` object (never parses anything)."""


@extend_schema_field(
    {
        "oneOf": [{"type": "object", "additionalProperties": MESSAGES}, MESSAGES],
        "description": "Messages; or, when some elements are wrong, element index -> messages.",
    }
)
class ListErrorsField(serializers.Field):
    """Documents the errors of a list field (DRF keys them by index when elements fail)."""


def messages_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), required=False, **kwargs)


# --------------------------------------------------------------------------- reading


TRANSLATIONS_SCHEMA = {
    "type": "object",
    "description": "The text in each language (ru, kk, en); only the one asked for with ?lang=. "
    "A language without its own text falls back to Russian; an empty text is left out.",
    "properties": {code: {"type": "string"} for code in LANGUAGES},
    "additionalProperties": False,
}


@extend_schema_field(TRANSLATIONS_SCHEMA)
class TranslatedField(serializers.Field):
    """A {language: text} dict, narrowed to one language when the context asks (?lang=)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: dict) -> dict:
        language = self.context.get("lang")
        if not language:
            return {code: value[code] for code in LANGUAGES if value.get(code)}
        text = pick(value, language)
        return {language: text} if text else {}


class OptionSerializer(serializers.Serializer):
    value = serializers.IntegerField(help_text="What to send as the answer.")
    label = TranslatedField()
    missing = serializers.BooleanField(help_text="A “don't know / prefer not to say” answer: scores as missing.")


class ShowIfSerializer(serializers.Serializer):
    item = serializers.CharField(source="show_if_item", help_text="Code of an earlier item.")
    values = serializers.ListField(
        source="show_if_values", child=serializers.IntegerField(),
        help_text="The item is shown (and may be answered) only when that item's answer is one of these.",
    )


class ItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The key of this item's answer in `answers`.")
    kind = serializers.ChoiceField(
        choices=["likert", "single", "multiple", "yes_no", "number", "text", "place"],
        help_text="likert, single, yes_no: one option value; multiple: a list of option values; "
        "number: a number within min_value..max_value; text, place: a string of at most max_length characters.",
    )
    required = serializers.BooleanField(help_text="Must be answered when shown.")
    text = TranslatedField()
    help = TranslatedField()
    options = OptionSerializer(many=True)
    show_if = serializers.SerializerMethodField()
    min_value = serializers.FloatField(allow_null=True)
    max_value = serializers.FloatField(allow_null=True)
    max_length = serializers.IntegerField(allow_null=True)

    @extend_schema_field(ShowIfSerializer(allow_null=True))
    def get_show_if(self, item):
        return ShowIfSerializer(item).data if item.show_if_item else None


class SectionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = TranslatedField()
    intro = TranslatedField()
    items = ItemSerializer(many=True)


class ChecklistSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="Published versions never change; a new one gets a new number.")
    title = TranslatedField()
    consent = TranslatedField()
    thanks = TranslatedField()
    sections = SectionSerializer(many=True)


class DistrictSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=District.Kind.values)
    parent = serializers.CharField(allow_null=True, help_text="Code of the enclosing unit.")
    name = TranslatedField()
    takes_responses = serializers.BooleanField(help_text="Residents answer for this unit (send its code).")


def _district_rows() -> list[dict]:
    """All districts in two queries (children prefetched for takes_responses)."""
    districts = list(District.objects.prefetch_related("children").order_by("code"))
    codes = {district.pk: district.code for district in districts}
    return [
        {
            "code": district.code,
            "kind": district.kind,
            "parent": codes.get(district.parent_id),
            "name": {code: getattr(district, f"name_{code}") for code in LANGUAGES},
            "takes_responses": district.takes_responses,
        }
        for district in districts
    ]


LANG_PARAMETER = OpenApiParameter(
    "lang", OpenApiTypes.STR, enum=list(LANGUAGES), required=False,
    description="Return the texts in this language only (default: all three).",
)
LANG_ERROR = inline_serializer("LangError", {"lang": serializers.ListField(child=serializers.CharField())})
NOT_MODIFIED = OpenApiResponse(description="Not modified: the ETag sent in If-None-Match still holds.")
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="The ETag of the copy the client has: a 304 without a body when it still holds.",
)
ETAG = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304], required=True,
    description="Names this content; send it back in If-None-Match.",
)
CACHE_CONTROL = OpenApiParameter(
    "Cache-Control", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304], required=True,
    description=f"public, max-age={PUBLIC_MAX_AGE}",
)


def _lang(request) -> tuple[str | None, Response | None]:
    lang = request.query_params.get("lang")
    if lang is not None and lang not in LANGUAGES:
        return None, Response({"lang": [str(UNKNOWN_LANG_PARAMETER)]}, status=status.HTTP_400_BAD_REQUEST)
    return lang, None


def _cacheable(request, build, etag: str, last_modified: float | None = None):
    """A public, cacheable response: 304 when the client's copy still holds, else build()."""
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = Response(build())
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


class ChecklistView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="checklist_retrieve",
        summary="The published checklist",
        description="The newest published checklist version with its sections, items and answer options, "
        "in Russian, Kazakh and English. Cacheable: send the ETag back in If-None-Match for a 304.",
        parameters=[
            LANG_PARAMETER, IF_NONE_MATCH, ETAG, CACHE_CONTROL,
            OpenApiParameter(
                "Last-Modified", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304],
                description="When the version was published (an HTTP date).",
            ),
        ],
        responses={
            200: ChecklistSerializer,
            304: NOT_MODIFIED,
            400: LANG_ERROR,
            404: OpenApiResponse(inline_serializer("NoChecklist", {"detail": serializers.CharField()})),
        },
        tags=["survey"],
    )
    def get(self, request):
        lang, error = _lang(request)
        if error:
            return error
        checklist, _wave = current.current_checklist_and_wave()
        if checklist is None:
            return Response({"detail": str(NO_CHECKLIST)}, status=status.HTTP_404_NOT_FOUND)
        # A published version never changes, so its number and the language name the content.
        etag = f'"checklist-{checklist.version}-{lang or "all"}"'
        published = checklist.published_at.timestamp() if checklist.published_at else None
        return _cacheable(
            request,
            lambda: ChecklistSerializer(definition_for(checklist), context={"lang": lang}).data,
            etag,
            published,
        )


class DistrictListView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="districts_list",
        summary="Districts",
        description="The region's hierarchy (region > city or district > city district). Send the `code` of a "
        "unit with `takes_responses: true` as a response's district. Cacheable (ETag).",
        parameters=[LANG_PARAMETER, IF_NONE_MATCH, ETAG, CACHE_CONTROL],
        responses={200: DistrictSerializer(many=True), 304: NOT_MODIFIED, 400: LANG_ERROR},
        tags=["survey"],
    )
    def get(self, request):
        lang, error = _lang(request)
        if error:
            return error
        rows = _district_rows()
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]
        etag = f'"districts-{digest}-{lang or "all"}"'
        return _cacheable(request, lambda: DistrictSerializer(rows, many=True, context={"lang": lang}).data, etag)


# --------------------------------------------------------------------------- writing


@extend_schema_field(
    {
        "type": "object",
        "description": "Item code -> value: an option value (integer) for likert, single and yes_no; a list of "
        "option values for multiple; a number for number; a string for text and place. Leave out what "
        "was not answered (null, \"\" and [] mean the same).",
        # "number" includes the integers (3.0 is option 3 too): listing "integer" as well would make
        # every option value match two branches of oneOf, i.e. none.
        "additionalProperties": {
            "oneOf": [
                {"type": "number"},
                {"type": "string"},
                {"type": "array", "items": {"type": "number"}},
            ],
            "nullable": True,
        },
        "example": {"safe_walk_dark": 3, "safe_walk_day": 4, "unsafe_place_type": 2, "unsafe_bus_route": "12A"},
    }
)
class AnswersField(serializers.Field):
    """The answers object. Only its shape is checked here: clean_answers checks the content."""

    default_error_messages = {"not_an_object": ANSWERS_NOT_AN_OBJECT}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_an_object")
        return data

    def to_representation(self, value):
        return value


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _well_formed(value) -> bool:
    """One of the answer types the schema documents: null, a number, a string, a list of numbers."""
    if isinstance(value, list):
        return all(_is_number(item) for item in value)
    return value is None or isinstance(value, str) or _is_number(value)


class ClientIdField(serializers.UUIDField):
    """A UUID as a string only: DRF's UUIDField would also take an integer."""

    default_error_messages = {"invalid": CLIENT_ID_NOT_A_UUID}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ResponseInSerializer(serializers.Serializer):
    district = serializers.CharField(max_length=20, help_text="Code of a district with takes_responses: true.")
    language = serializers.ChoiceField(
        choices=list(LANGUAGES), error_messages={"invalid_choice": UNKNOWN_LANGUAGE},
        help_text="The language the resident answered in.",
    )
    answers = AnswersField()
    client_id = ClientIdField(
        required=False, allow_null=True,
        help_text="A new random UUID (version 4) the client makes for each response, never copied from an "
        "example. Sending the same request again returns the stored response (200) instead of storing a "
        "second one, so a retry after a lost connection is safe; another request with the same key is a 409.",
    )

    def validate_answers(self, answers: dict) -> dict:
        # A value of none of the documented types is refused here, before a retry could be answered
        # with the stored response: a retry is the same request again, so it is well-formed.
        # (all_errors puts clean_answers' own message for the item in its place.)
        malformed = {str(code): [str(NOT_AN_OPTION)] for code, value in answers.items() if not _well_formed(value)}
        if malformed:
            raise serializers.ValidationError(malformed)
        return answers

    def validate_district(self, code: str) -> District:
        district = current.district_by_code(code)
        if district is None:
            raise serializers.ValidationError(UNKNOWN_DISTRICT)
        if not district.takes_responses:
            raise serializers.ValidationError(DISTRICT_TAKES_NO_RESPONSES)
        return district

    def all_errors(self) -> dict:
        """The field errors, plus the answers' own errors when only other fields failed, so a
        client hears about everything at once."""
        errors = dict(self.errors)
        answers = self.initial_data.get("answers") if isinstance(self.initial_data, dict) else None
        checklist, _wave = current.current_checklist_and_wave()
        # A list under "answers" is about the object as a whole; a dict names malformed values, which
        # clean_answers names too, with its own messages, among all the other items' errors.
        if not isinstance(errors.get("answers"), list) and isinstance(answers, dict) and checklist is not None:
            _cleaned, answer_errors = clean_answers(definition_for(checklist), answers)
            if answer_errors:
                errors["answers"] = answer_errors
        return errors


class ScoresSerializer(serializers.Serializer):
    feeling = serializers.FloatField(allow_null=True, help_text="Perceived-safety index, 0–100 (METHOD.md §3).")
    environment = serializers.FloatField(allow_null=True, help_text="Conditions in the area, 0–100.")
    police = serializers.FloatField(allow_null=True, help_text="Police and community, 0–100.")
    overall = serializers.FloatField(allow_null=True, help_text="Mean of the available sub-scores, 0–100.")
    sdg_safe = serializers.BooleanField(
        allow_null=True, help_text="SDG 16.1.4: feels safe walking alone after dark (null: not answered)."
    )


class ResponseOutSerializer(serializers.Serializer):
    """What the API says back: the scores as stored, nothing that could identify anyone.
    Documents `stored_data`, which builds the same shape without DRF's per-field cost
    (tests/surveys/test_api_schema.py checks them against each other)."""

    client_id = serializers.UUIDField(allow_null=True, help_text="The client's own UUID, if it sent one.")
    district = serializers.CharField(source="district.code")
    wave = serializers.CharField(source="wave.code", help_text="The survey round.")
    checklist = serializers.IntegerField(source="checklist.version", help_text="Checklist version.")
    language = serializers.CharField()
    scores = serializers.SerializerMethodField()

    @extend_schema_field(ScoresSerializer)
    def get_scores(self, response: SurveyResponse) -> dict:
        return ScoresSerializer(response).data


def stored_data(response: SurveyResponse) -> dict:
    """A stored response as ResponseOutSerializer describes it."""
    return {
        "client_id": str(response.client_id) if response.client_id else None,
        "district": response.district.code,
        "wave": response.wave.code,
        "checklist": response.checklist.version,
        "language": response.language,
        "scores": {
            "feeling": response.feeling,
            "environment": response.environment,
            "police": response.police,
            "overall": response.overall,
            "sdg_safe": response.sdg_safe,
        },
    }


RESPONSE_ERRORS = inline_serializer(
    "ResponseErrors",
    {
        "district": messages_field(),
        "language": messages_field(),
        "answers": AnswerErrorsField(required=False),
        "client_id": messages_field(),
        "non_field_errors": messages_field(),
        "detail": serializers.CharField(required=False, help_text="The body as a whole: too large, not JSON."),
    },
)
SURVEY_CLOSED = inline_serializer(
    "SurveyClosed",
    {
        "wave": serializers.ListField(child=serializers.CharField(), required=False),
        "checklist": serializers.ListField(child=serializers.CharField(), required=False),
        "detail": serializers.CharField(
            required=False, help_text="The database is briefly unreachable: send again after Retry-After seconds."
        ),
    },
)
# Where the examples would show a key: a placeholder, never a UUID that works for everyone who
# copies it (a copied key would name someone else's response; issue 9).
CLIENT_ID_PLACEHOLDER = "<a new random UUID4 for each response>"
# A complete, valid response to checklist v1, once its placeholder is replaced by a fresh UUID
# (tests/surveys/test_api_schema.py posts it).
EXAMPLE_BODY = {
    "district": "KRG-KZB",
    "language": "kk",
    "client_id": CLIENT_ID_PLACEHOLDER,
    "answers": {
        "safe_walk_dark": 2, "safe_walk_day": 4, "safe_home_night": 3, "safe_transport": 2,
        "worry_burglary": 2, "worry_pickpocket": 4, "worry_fraud": 3, "worry_violence": 1,
        "env_lighting": 2, "env_cctv": 1, "env_disorder": 3, "env_youth_groups": 4, "env_abandoned": 2,
        "env_stray_dogs": 5, "env_neighbours": 4,
        "pol_trust": 3, "pol_inspector_known": 1, "pol_reachable": 2, "pol_response": 3, "pol_fair": 4,
        "pol_cooperate": 5,
        "vic_burglary": 0, "vic_transport_theft": 1, "vic_transport_theft_reported": 0, "vic_fraud": 0,
        "vic_assault_hooliganism": 0,
        "unsafe_place_type": 2, "unsafe_bus_route": "12A", "age_group": 2, "sex": 1,
    },
}
EXAMPLE_STORED = {
    "client_id": CLIENT_ID_PLACEHOLDER,
    "district": "KRG-KZB",
    "wave": "2020-spring",
    "checklist": 1,
    "language": "kk",
    "scores": {"feeling": 60.4, "environment": 35.7, "police": 60.0, "overall": 52.0, "sdg_safe": False},
}


def _stored_under_client_id(data) -> SurveyResponse | None:
    """The response a well-formed request with a client_id was already stored as (a retry);
    ClientIdReused when its key names another response."""
    serializer = ResponseInSerializer(data=data)
    if not serializer.is_valid() or not serializer.validated_data.get("client_id"):
        return None
    return repeated_response(**serializer.validated_data, channel=SurveyResponse.Channel.ONLINE)


def _client_id_reused() -> Response:
    return Response({"detail": str(CLIENT_ID_REUSED)}, status=status.HTTP_409_CONFLICT)


class ResponseCreateView(APIView):
    # No authentication at all: an anonymous JSON POST needs no CSRF token (SessionAuthentication
    # would demand one from a browser that happens to carry a session cookie).
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="responses_create",
        summary="Submit a response",
        description=(
            "Store one anonymous resident response in the open wave and return its scores. Nothing is "
            "stored unless the whole response is valid. The body is JSON of at most 64 KiB. "
            "With `client_id` (a new random UUID4 for each response), the same request sent again returns the "
            "stored response with 200 and stores nothing; a request with a stored `client_id` and another "
            "district, language or answers is a 409 that says nothing of the stored response. "
            "Messages follow Accept-Language (ru, kk, en). Limited per client network per hour (429)."
        ),
        request=ResponseInSerializer,
        parameters=[
            OpenApiParameter(
                "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429], required=True,
                description="Seconds until the hour ends and the network may send responses again.",
            ),
        ],
        responses={
            201: ResponseOutSerializer,
            200: OpenApiResponse(
                ResponseOutSerializer, description="This same request was stored already under this client_id."
            ),
            400: OpenApiResponse(RESPONSE_ERRORS, description="Bad input: a message per field or item."),
            409: OpenApiResponse(
                DETAIL,
                description="The client_id was already used for a different response (another district, "
                "language or answers). Nothing was stored; make a new client_id.",
            ),
            415: OpenApiResponse(DETAIL, description="Not application/json."),
            429: OpenApiResponse(DETAIL, description="Too many responses from this network; see Retry-After."),
            503: OpenApiResponse(
                SURVEY_CLOSED,
                description="No open wave or no published checklist; or the database is briefly unreachable "
                "(`detail`, with Retry-After): send again with the same client_id.",
            ),
        },
        examples=[
            OpenApiExample("A response in Kazakh", value=EXAMPLE_BODY, request_only=True),
            OpenApiExample("Stored", value=EXAMPLE_STORED, response_only=True, status_codes=["201", "200"]),
            OpenApiExample(
                "Field errors",
                value={"district": [str(UNKNOWN_DISTRICT)],
                       "answers": {"safe_walk_day": ["Choose one of the answers offered."],
                                   "pol_trust": ["Please answer this question."]}},
                response_only=True, status_codes=["400"],
            ),
            OpenApiExample(
                "Body too large", value={"detail": "The request body is larger than 64 KiB."},
                response_only=True, status_codes=["400"],
            ),
            OpenApiExample(
                "Survey closed", value={"wave": ["The survey is closed at the moment: there is no open wave."]},
                response_only=True, status_codes=["503"],
            ),
            OpenApiExample(
                "Key used for another response",
                value={"detail": "This client_id was already used for a different response, so nothing was "
                       "stored. Make a new random UUID (version 4) for each response."},
                response_only=True, status_codes=["409"],
            ),
        ],
        tags=["survey"],
    )
    def post(self, request):
        # One cache round trip on the way in; the submission is given back below if nothing
        # is stored, so only stored responses count (docs/api.md).
        now = time.time()
        if not rate_limit_take(request, scope=RATE_LIMIT_SCOPE, now=now):
            # A retry of a response stored before the limit was reached still gets its 200.
            try:
                stored = _stored_under_client_id(request.data)
            except ClientIdReused:
                return _client_id_reused()
            if stored:
                return Response(stored_data(stored), status=status.HTTP_200_OK)
            return Response(
                {"detail": str(RATE_LIMITED)},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(rate_limit_retry_after(now))},
            )
        created = False
        try:
            answer, created = self._submit(request)
            return answer
        finally:
            if not created:
                rate_limit_give_back(request, scope=RATE_LIMIT_SCOPE, now=now)

    def _submit(self, request) -> tuple[Response, bool]:
        """The answer to the request, and whether a new response was stored."""
        serializer = ResponseInSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(serializer.all_errors(), status=status.HTTP_400_BAD_REQUEST), False
        checklist, wave = current.current_checklist_and_wave()
        try:
            response, created = response_submit(
                **serializer.validated_data,
                channel=SurveyResponse.Channel.ONLINE,
                checklist=checklist,
                wave=wave,
            )
        except ClientIdReused:
            return _client_id_reused(), False
        except ResponseRejected as rejected:
            # No open wave or checklist is the server's state, not the client's mistake: an
            # offline client keeps the response and tries again later.
            closed = "wave" in rejected.errors or "checklist" in rejected.errors
            return Response(
                rejected.errors,
                status=status.HTTP_503_SERVICE_UNAVAILABLE if closed else status.HTTP_400_BAD_REQUEST,
            ), False
        answer_status = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(stored_data(response), status=answer_status), created
