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
CLIENT_ID_REUSED = _(
    "This client_id was already used for a different response, so nothing was stored. "
    "Make a new random UUID (version 4) for each response."
)


class ResponseRejected(Exception):
    """The response can't be stored; `errors` maps field names (or item codes) to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(errors)


class ClientIdReused(ResponseRejected):
    """The client_id names a stored response that this request is not a repeat of. Nothing is
    stored, and nothing of the stored response may be given out (API: 409)."""

    def __init__(self):
        super().__init__({"client_id": [str(CLIENT_ID_REUSED)]})


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

    With a client_id that was already stored, by a request with the same channel, district,
    language and (cleaned) answers, the stored response is returned and nothing new is
    written, so a double click or a retried request counts once, even when the repeat
    would now be refused (the wave has closed since). Any other request with that key raises
    ClientIdReused: a key names only the response it was sent with, so a guessed or copied
    key reads nothing. The stored one is looked up only when needed (a refusal, or the
    INSERT's unique constraint), not before every new response: the ingest benchmark counts
    every query (BENCHMARKS.md, "Ingest").
    """
    try:
        return _response_submit(
            district=district, language=language, answers=answers, channel=channel,
            client_id=client_id, checklist=checklist, wave=wave,
        )
    except ClientIdReused:
        raise
    except ResponseRejected:
        if client_id is not None and (
            existing := repeated_response(
                client_id=client_id, district=district, language=language, answers=answers, channel=channel
            )
        ):
            return existing, False
        raise


def repeated_response(
    *, client_id: uuid.UUID, district: District, language: str, answers: dict, channel: str = Response.Channel.ONLINE
) -> Response | None:
    """The response stored under `client_id` when this request is a repeat of the one that
    stored it; None when nothing is stored under it; ClientIdReused when another response is.

    A repeat has the same channel, district and language, and answers that clean to the
    stored ones (so " 12а " repeats "12A", and 3.0 repeats 3), checked against the stored
    response's own checklist version. No digest is needed: the stored answers are the cleaned
    ones, so the two are compared directly.
    """
    stored = Response.objects.select_related("district", "wave", "checklist").filter(client_id=client_id).first()
    if stored is None:
        return None
    same = stored.channel == channel and stored.district_id == district.pk and stored.language == language
    if same and isinstance(answers, dict):
        cleaned, errors = clean_answers(definition_for(stored.checklist), answers)
        same = not errors and cleaned == stored.answers
    if not same:
        raise ClientIdReused()
    return stored


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
        # The client_id is stored already (a repeat, two identical requests racing, or a key
        # used for another response: ClientIdReused).
        if client_id is not None and (
            existing := repeated_response(
                client_id=client_id, district=district, language=language, answers=answers, channel=channel
            )
        ):
            return existing, False
        raise
    return response, True
