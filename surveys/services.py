"""Writing responses: every channel goes through these functions."""

import uuid
from contextlib import nullcontext

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checklist.answers import clean_answers
from checklist.definition import definition_for
from checklist.models import Checklist, District
from checklist.scoring import respondent_scores

from .models import Response, Wave

NO_OPEN_WAVE = _("The survey is closed at the moment: there is no open wave.")
NO_CHECKLIST = _("No checklist is published yet.")
DISTRICT_TAKES_NO_RESPONSES = _("Choose a district or city, not a whole region or city with districts.")
UNKNOWN_LANGUAGE = _("Choose Russian, Kazakh or English.")


class ResponseRejected(Exception):
    """The response can't be stored; `errors` maps field names (or item codes) to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(errors)


def response_submit(
    *,
    district: District,
    language: str,
    answers: dict,
    channel: str = Response.Channel.ONLINE,
    client_id: uuid.UUID | None = None,
    checklist: Checklist | None = None,
    wave: Wave | None = None,
) -> tuple[Response, bool]:
    """Validate, score and store one response. Returns (response, created).

    With a client_id that was already stored, the stored response is returned and nothing
    new is written, so a double click or a retried request counts once, even when the
    repeat would now be refused (the wave has closed since). The stored one is looked up
    only when needed (a refusal, or the INSERT's unique constraint), not before every new
    response: the ingest benchmark counts every query (BENCHMARKS.md, "Ingest").
    """
    try:
        return _response_submit(
            district=district, language=language, answers=answers, channel=channel,
            client_id=client_id, checklist=checklist, wave=wave,
        )
    except ResponseRejected:
        if client_id is not None and (existing := stored_response(client_id)):
            return existing, False
        raise


def stored_response(client_id: uuid.UUID) -> Response | None:
    """The response stored under a client_id, if any."""
    return Response.objects.select_related("district", "wave", "checklist").filter(client_id=client_id).first()


def _response_submit(*, district, language, answers, channel, client_id, checklist, wave) -> tuple[Response, bool]:
    checklist = checklist or Checklist.current()
    wave = wave or Wave.current()
    errors: dict[str, list[str]] = {}
    if checklist is None:
        errors["checklist"] = [str(NO_CHECKLIST)]
    if wave is None:
        errors["wave"] = [str(NO_OPEN_WAVE)]
    if not district.takes_responses:
        errors["district"] = [str(DISTRICT_TAKES_NO_RESPONSES)]
    if language not in ("ru", "kk", "en"):
        errors["language"] = [str(UNKNOWN_LANGUAGE)]
    if errors:
        raise ResponseRejected(errors)
    definition = definition_for(checklist)
    cleaned, answer_errors = clean_answers(definition, answers)
    if answer_errors:
        raise ResponseRejected({"answers": answer_errors})
    response = Response(
        checklist=checklist,
        wave=wave,
        district=district,
        channel=channel,
        language=language,
        answers=cleaned,
        submitted_on=timezone.localdate(),
        client_id=client_id,
    )
    response.set_scores(respondent_scores(definition, cleaned))
    try:
        # One INSERT is atomic by itself; BEGIN and COMMIT around it would be two more round
        # trips on every online response. Inside a caller's transaction, a savepoint keeps a
        # repeated client_id from breaking that transaction. (Add a second write here and
        # this must become transaction.atomic() always.)
        with transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext():
            response.save()
    except IntegrityError:
        # The client_id is stored already (a repeat, or two identical requests racing).
        if client_id is not None and (existing := stored_response(client_id)):
            return existing, False
        raise
    return response, True
