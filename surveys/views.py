"""The resident online survey: pick a district, read the consent text, answer, thank you.

Thin views: the form turns POST data into answers, `response_submit` validates and
stores, `ratelimit` counts. Nothing here stores or logs anything about the resident.
"""

import time
import uuid

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from checklist.answers import REQUIRED
from checklist.definition import LANGUAGE_NAMES, LANGUAGES, definition_for, pick
from checklist.models import Checklist, District, translated

from . import current, ratelimit
from .forms import CLIENT_ID_FIELD, HONEYPOT_FIELD, VERSION_FIELD, SurveyForm, district_groups
from .models import Response
from .services import ClientIdReused, ResponseRejected, repeated_response, response_submit

RATE_LIMIT_SCOPE = "survey"
# The page's one-time token names a response stored with other answers (a copy of the page sent
# before with other answers, or a token that is not this page's): never taken for that response.
CLIENT_ID_REUSED_ON_FORM = _(
    "This form had already been sent with other answers, so these answers were not saved. "
    "Please check them and send the form again: they will be saved as a new response."
)


def _language() -> str:
    return (get_language() or "ru")[:2]


def _open_survey():
    """(checklist, wave) when residents can answer, else None. Read from the per-process
    cache the API uses too (surveys/current.py): no query on most pages."""
    checklist, wave = current.current_checklist_and_wave()
    if checklist is None or wave is None:
        return None
    return checklist, wave


def _closed(request):
    return render(request, "surveys/closed.html", status=200)


def _districts():
    return District.objects.order_by("code")


def _find_district(code: str) -> District | None:
    """A district residents answer for, by code in any letter case (QR codes get retyped)."""
    district = current.district_by_code(code, any_case=True)
    if district is None or not district.takes_responses:
        return None
    return district


def _not_found(request, code: str):
    context = {"code": code, "groups": district_groups(_districts())}
    return render(request, "surveys/district_not_found.html", context, status=404)


@require_http_methods(["GET", "HEAD"])
def start(request):
    """Language and district. `?district=CODE` (the picker's GET form) goes to that district."""
    survey = _open_survey()
    if survey is None:
        return _closed(request)
    checklist, _wave = survey
    error = ""
    code = request.GET.get("district", "").strip()
    if code:
        district = _find_district(code)
        if district is not None:
            return redirect("survey:district", code=district.code)
        error = "unknown"
    elif "district" in request.GET:
        error = "missing"
    context = {
        "title": translated(checklist, "title"),
        "groups": district_groups(_districts()),
        "district_error": error,
    }
    return render(request, "surveys/start.html", context)


@require_http_methods(["GET", "HEAD"])
def district(request, code: str):
    """The consent text for one district: where the QR codes on posters and buses lead."""
    survey = _open_survey()
    if survey is None:
        return _closed(request)
    checklist, _wave = survey
    district = _find_district(code)
    if district is None:
        return _not_found(request, code)
    if district.code != code:
        return redirect("survey:district", code=district.code)
    definition = definition_for(checklist)
    context = {
        "district": district,
        "title": pick(definition.title, _language()),
        "consent": pick(definition.consent, _language()),
        "question_count": definition.question_count,
    }
    return render(request, "surveys/consent.html", context)


@never_cache  # no-store: a shared phone's back button must not show the last resident's answers
@require_http_methods(["GET", "HEAD", "POST"])
def questions(request, code: str):
    """The checklist on one page; POST stores it once, whole and valid, or shows the errors."""
    survey = _open_survey()
    if survey is None:
        return _closed(request)
    checklist, wave = survey
    district = _find_district(code)
    if district is None:
        return _not_found(request, code)
    definition = definition_for(checklist)

    if request.method != "POST":
        if district.code != code:
            return redirect("survey:questions", code=district.code)
        return _render_form(request, district, checklist, SurveyForm(definition))

    form = SurveyForm(definition, data=request.POST)
    if form.honeypot_filled:
        # A bot filled the field people never see: pretend all went well, store nothing.
        return redirect("survey:thanks")
    if form.version_changed:
        return _render_form(request, district, checklist, form, version_changed=True)
    # One of this hour's submissions is taken before anything is stored and given back unless a
    # response is, as the API does: checking the count and adding to it after the INSERT let
    # sheets sent at the same moment all pass a limit that had one left.
    now = time.time()
    if not ratelimit.rate_limit_take(request, scope=RATE_LIMIT_SCOPE, now=now):
        return _over_the_limit(request, district, checklist, form)
    created = False
    try:
        _response, created = response_submit(
            district=district,
            language=_language(),
            answers=form.answers,
            channel=Response.Channel.ONLINE,
            client_id=form.client_id,
            checklist=checklist,
            wave=wave,
        )
    except ClientIdReused:
        return _client_id_reused(request, district, checklist, form)
    except ResponseRejected as rejected:
        if set(rejected.errors) - {"answers"}:
            return _closed(request)
        form.add_errors(rejected.errors["answers"])
        return _render_form(request, district, checklist, form)
    finally:
        if not created:
            ratelimit.rate_limit_give_back(request, scope=RATE_LIMIT_SCOPE, now=now)
    return redirect("survey:thanks")


def _over_the_limit(request, district, checklist, form: SurveyForm):
    """The limit is reached: a page sent again after its first copy was stored still shows the
    thanks; anything else gets the 429 page."""
    try:
        stored = repeated_response(
            client_id=form.client_id, district=district, language=_language(), answers=form.answers
        )
    except ClientIdReused:
        return _client_id_reused(request, district, checklist, form)
    if stored is not None:
        return redirect("survey:thanks")
    return render(request, "surveys/rate_limited.html", status=429)


def _client_id_reused(request, district, checklist, form: SurveyForm):
    form.client_id = uuid.uuid4()  # sending this page again stores it as a response of its own
    return _render_form(request, district, checklist, form, notice=CLIENT_ID_REUSED_ON_FORM, status=409)


# The questions of a blank form, rendered once per checklist definition and language in each
# process: they are the same for every resident (the client_id, the CSRF token and the CSP
# nonce are outside them), and rendering 36 questions was most of the page's CPU
# (BENCHMARKS.md, "Load"). Keyed by the definition object, so a new one (its cache cleared,
# another version published) is rendered afresh; the object is kept with its text.
_BLANK_PARTS: dict[tuple[int, str], tuple[object, str]] = {}
_BLANK_PARTS_KEPT = 12


def _blank_parts(form: SurveyForm) -> str:
    key = (id(form.definition), _language())
    kept = _BLANK_PARTS.get(key)
    if kept is not None and kept[0] is form.definition:
        return kept[1]
    html = render_to_string("surveys/snippets/parts.html", {"parts": form.parts()})
    if len(_BLANK_PARTS) >= _BLANK_PARTS_KEPT:
        _BLANK_PARTS.clear()
    _BLANK_PARTS[key] = (form.definition, html)
    return html


def _render_form(
    request, district, checklist, form: SurveyForm, version_changed: bool = False, notice: str = "", status: int = 200
):
    definition = form.definition
    blank = not form.is_bound
    parts = [] if blank else form.parts()
    context = {
        "district": district,
        "title": pick(definition.title, _language()),
        "form": form,
        "parts": parts,
        "errors": [(question, message) for part in parts for question in part.questions for message in question.errors],
        "unanswered": [q for part in parts for q in part.questions if str(REQUIRED) in q.errors],
        "version_changed": version_changed,
        "notice": notice,
        "blank_parts": _blank_parts(form) if blank else "",
        "honeypot_field": HONEYPOT_FIELD,
        "client_id_field": CLIENT_ID_FIELD,
        "version_field": VERSION_FIELD,
        "action": reverse("survey:questions", kwargs={"code": district.code}),
        "wave_code": _open_wave_code(),
    }
    return render(request, "surveys/questions.html", context, status=status)


def _open_wave_code() -> str:
    """The open wave's code: the browser notes on the thank-you page that this device answered
    it (survey.js, no identifier), and the form warns before a second response."""
    _checklist, wave = current.current_checklist_and_wave()
    return wave.code if wave else ""


@require_http_methods(["GET", "HEAD"])
def thanks(request):
    checklist, wave = current.current_checklist_and_wave()
    text = pick(definition_for(checklist).thanks, _language()) if checklist else ""
    return render(request, "surveys/thanks.html", {"thanks": text, "wave_code": wave.code if wave else ""})


@staff_member_required
@require_http_methods(["GET", "HEAD"])
def checklist_preview(request, pk: int, language: str):
    """A checklist version (a draft before it is published) as residents will see it, in one
    language, for the admin; nothing can be sent from it."""
    if not request.user.has_perm("checklist.change_checklist"):
        raise PermissionDenied
    if language not in LANGUAGES:
        raise Http404
    checklist = get_object_or_404(Checklist, pk=pk)
    definition = definition_for(checklist)
    with translation.override(language):
        context = {
            "checklist": checklist,
            "definition": definition,
            "parts": SurveyForm(definition).parts(),
            "language": language,
            "language_name": LANGUAGE_NAMES[language],
            "title": pick(definition.title, language),
            "other_languages": [
                (LANGUAGE_NAMES[code], reverse("survey:preview", args=[checklist.pk, code]))
                for code in LANGUAGES
                if code != language
            ],
            "back": reverse("admin:checklist_checklist_publish", args=[checklist.pk])
            if not checklist.is_published
            else reverse("admin:checklist_checklist_change", args=[checklist.pk]),
        }
        response = render(request, "surveys/preview.html", context)
    return response
