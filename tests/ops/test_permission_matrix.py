"""The permission matrix: every URL of the site against every persona, with the status each
one gets (the table is tests/ops/access_matrix.py; docs/access.md says it in words).

One world is built per module (districts A and B, their batches and sheets in every state,
report jobs and files of A, B, the region and an export) inside a transaction that is rolled
back at the end; each test runs in a savepoint of it, so a POST changes nothing for the next.
No PDF or report is rendered: the batch has a tiny stored PDF and the jobs are DONE with tiny
files, and tasks queued by a request wait for a commit that never comes.
"""

import csv
import importlib.util
import io
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from checklist.definition import definition_for
from checklist.loading import checklist_load, districts_load
from checklist.models import District
from reports.models import DownloadLog, ReportFile, ReportJob, Snapshot
from reports.snapshots import snapshot_make
from surveys import roles
from surveys.models import Response, Wave
from surveys.paper_answers import keyed_text
from surveys.paper_import import template_header
from surveys.paper_models import Batch, ImportJob
from surveys.paper_services import batch_create, paper_entry_create, paper_sheet_void
from surveys.services import response_submit
from tests.conftest import DATA, complete_answers, make_staff

from .access_matrix import (
    ADMIN_LOGIN,
    ADMIN_MODELS,
    ADMIN_PAGE_STATUS,
    ADMIN_SITE_PAGES,
    GET,
    LOGIN,
    PERSONAS,
    POST,
    RAW_MODELS,
    RAW_READERS,
    REDIRECT,
    ROWS,
    Row,
)

URLCONF = Path(settings.BASE_DIR) / "safetysurvey" / "urls.py"


# ---------------------------------------------------------------------------- the world


@dataclass
class World:
    users: dict
    cookies: dict  # persona -> the cookies of their browser
    checklist: object
    definition: object
    wave: Wave
    district_a: District
    district_b: District
    batch_a: Batch
    batch_b: Batch
    sheets: dict  # "A printed", "A conflict", "A committed", "A void", "B conflict", "B printed"
    jobs: dict  # "A", "B", "region", "A export"
    imports: dict  # "A" (failed, by the coordinator), "B" (committed, by the admin)
    answers: dict  # a valid paper sheet's answers
    snapshot: Snapshot  # the wave's published figures (one response has come in since)


def _sheet_answers(definition) -> dict:
    return complete_answers(
        definition, vic_burglary=0, vic_transport_theft=0, vic_fraud=0, vic_assault_hooliganism=0, age_group=2, sex=1
    )


def _done_job(*, district, wave, formats, requested_by, content=b"<html>tiny</html>") -> ReportJob:
    job = ReportJob.objects.create(
        scope=ReportJob.Scope.DISTRICT if district else ReportJob.Scope.REGION,
        district=district,
        wave=wave,
        language="ru",
        formats=formats,
        fingerprint=uuid.uuid4().hex * 2,
        status=ReportJob.Status.DONE,
        progress=100,
        requested_by=requested_by,
    )
    name = f"{job.scope_code}-{formats}.{'html' if formats == 'html' else 'csv'}"
    file = ReportFile(job=job, format=formats, filename=name, mimetype="text/html", size=len(content))
    file.file.save(name, ContentFile(content), save=False)
    file.save()
    return job


def _build_world() -> World:
    checklist = checklist_load(text=(DATA / "checklist-v1.yaml").read_text(encoding="utf-8"))
    districts_load(text=(DATA / "karaganda.yaml").read_text(encoding="utf-8"))
    district_a, district_b = District.objects.get(code="KRG-KZB"), District.objects.get(code="KRG-TEM")
    wave = Wave.objects.create(code="2020", name="2020", starts_on="2020-03-01", is_open=True)
    definition = definition_for(checklist)
    # The cast of tests/conftest.py, made the same way.
    users = {
        "volunteer_a": make_staff("volunteer_a", roles.VOLUNTEER, [district_a]),
        "volunteer_a2": make_staff("volunteer_a2", roles.VOLUNTEER, [district_a]),
        "volunteer_b": make_staff("volunteer_b", roles.VOLUNTEER, [district_b]),
        "coordinator": make_staff("coordinator", roles.COORDINATOR, [district_a]),
        "analyst": make_staff("analyst", roles.ANALYST),
        "admin": make_staff("admin", is_staff=True, is_superuser=True),
    }
    answers = _sheet_answers(definition)
    other = {**answers, "safe_walk_day": 2, "env_cctv": 5}

    batch_a = batch_create(
        district=district_a, wave=wave, language="ru", size=4, created_by=users["coordinator"], render_pdf=False
    )
    batch_a.pdf.save("sheets.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    batch_a.pdf_status = Batch.PdfStatus.READY
    batch_a.save()
    printed, conflict, committed, void = batch_a.sheets.order_by("number")
    paper_entry_create(sheet=conflict, user=users["volunteer_a"], answers=answers)
    paper_entry_create(sheet=conflict, user=users["volunteer_a2"], answers=other)
    paper_entry_create(sheet=committed, user=users["volunteer_a"], answers=answers)
    paper_entry_create(sheet=committed, user=users["volunteer_a2"], answers=answers)
    paper_sheet_void(sheet=void, user=users["coordinator"], reason="spoiled")

    batch_b = batch_create(
        district=district_b, wave=wave, language="ru", size=2, created_by=users["admin"], render_pdf=False
    )
    conflict_b, printed_b = batch_b.sheets.order_by("number")
    paper_entry_create(sheet=conflict_b, user=users["volunteer_b"], answers=answers)
    paper_entry_create(sheet=conflict_b, user=users["admin"], answers=other)
    for district in (district_a, district_b):
        response_submit(
            district=district,
            language="ru",
            answers=answers,
            channel=Response.Channel.ONLINE,
            checklist=checklist,
            wave=wave,
        )

    jobs = {
        "A": _done_job(district=district_a, wave=wave, formats="html", requested_by=users["coordinator"]),
        "B": _done_job(district=district_b, wave=wave, formats="html", requested_by=users["analyst"]),
        "region": _done_job(district=None, wave=wave, formats="html", requested_by=users["analyst"]),
        "A export": _done_job(
            district=district_a,
            wave=wave,
            formats="microdata_csv",
            requested_by=users["analyst"],
            content=b"district,safe_walk_dark\r\nKRG-KZB,3\r\n",
        ),
    }
    imports = {
        "A": ImportJob.objects.create(
            batch=batch_a, uploaded_by=users["coordinator"], language="ru", filename="entries.csv", size=20,
            status=ImportJob.Status.FAILED, row_errors=[{"row": 2, "column": "serial", "message": "..."}],
            row_error_count=1,
        ),
        "B": ImportJob.objects.create(
            batch=batch_b, uploaded_by=users["admin"], language="ru", filename="entries.xlsx", size=20,
            status=ImportJob.Status.COMMITTED,
            outcome={"entries": 1, "first_entries": 1, "committed": 0, "conflicts": 0},
        ),
    }
    first_file = jobs["B"].files.get()
    DownloadLog.objects.create(
        user=users["analyst"],
        username="analyst",
        file=first_file,
        job=jobs["B"],
        filename=first_file.filename,
        scope="KRG-TEM",
        wave="2020",
    )
    Token.objects.create(user=users["admin"])
    _axes_rows()
    snapshot = snapshot_make(wave=wave, trigger=Snapshot.Trigger.NIGHTLY)
    response_submit(district=district_a, language="ru", answers=answers, channel=Response.Channel.ONLINE,
                    checklist=checklist, wave=wave)  # so that an analyst's request makes a new snapshot

    cookies = {"anonymous": {}}
    resident = Client()
    resident.post(reverse("set_language"), {"language": "kk"})
    resident.get(reverse("survey:district", args=[district_a.code]))
    cookies["resident"] = {name: morsel.value for name, morsel in resident.cookies.items()}
    assert settings.LANGUAGE_COOKIE_NAME in cookies["resident"]
    for persona in PERSONAS[2:]:
        browser = Client()
        browser.force_login(users[persona], backend="django.contrib.auth.backends.ModelBackend")
        cookies[persona] = {name: morsel.value for name, morsel in browser.cookies.items()}

    for sheet in (printed, conflict, committed, void, conflict_b, printed_b):
        sheet.refresh_from_db()
    return World(
        users=users,
        cookies=cookies,
        checklist=checklist,
        definition=definition,
        wave=wave,
        district_a=district_a,
        district_b=district_b,
        batch_a=batch_a,
        batch_b=batch_b,
        sheets={
            "A printed": printed,
            "A conflict": conflict,
            "A committed": committed,
            "A void": void,
            "B conflict": conflict_b,
            "B printed": printed_b,
        },
        jobs=jobs,
        imports=imports,
        answers=answers,
        snapshot=snapshot,
    )


def _axes_rows() -> None:
    """One row of each of django-axes' logs, so that their admin pages have an object."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    common = {"username": "someone", "user_agent": "", "path_info": "/accounts/login/", "http_accept": ""}
    AccessAttempt.objects.create(**common, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**common)
    AccessFailureLog.objects.create(**common)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world above, built once for the module and rolled back after it. Batch PDFs go
    to a temporary MEDIA_ROOT and report files to a temporary storage; the cast's passwords
    are hashed fast (nobody logs in with one: the sessions are made once, with force_login)."""
    root = tmp_path_factory.mktemp("matrix")
    fast_hasher = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        override_settings(MEDIA_ROOT=str(root / "media"), PASSWORD_HASHERS=fast_hasher),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(ReportFile._meta.get_field("file"), "storage", FileSystemStorage(location=root / "reports"))
        with django_db_blocker.unblock(), transaction.atomic():
            yield _build_world()
            transaction.set_rollback(True)


# ---------------------------------------------------------------------------- objects and bodies

# A row's target -> (object, extra URL arguments).
OBJECTS = {
    "": lambda w: (None, {}),
    "district A": lambda w: (w.district_a, {}),
    "the checklist": lambda w: (w.checklist, {}),
    "the checklist in kk": lambda w: (w.checklist, {"language": "kk"}),
    "a made-up link": lambda w: (None, {"uidb64": "MQ", "token": "made-up-token"}),
    "the admin": lambda w: (w.users["admin"], {}),
    "A's printed sheet": lambda w: (w.sheets["A printed"], {}),
    "A's sheet in conflict": lambda w: (w.sheets["A conflict"], {}),
    "A's committed sheet": lambda w: (w.sheets["A committed"], {}),
    "B's sheet in conflict": lambda w: (w.sheets["B conflict"], {}),
    "B's printed sheet": lambda w: (w.sheets["B printed"], {}),
    "A's batch": lambda w: (w.batch_a, {}),
    "A's batch, CSV": lambda w: (w.batch_a, {"fmt": "csv"}),
    "A's batch, XLSX": lambda w: (w.batch_a, {"fmt": "xlsx"}),
    "B's batch": lambda w: (w.batch_b, {}),
    "A's report": lambda w: (w.jobs["A"], {}),
    "B's report": lambda w: (w.jobs["B"], {}),
    "the region's report": lambda w: (w.jobs["region"], {}),
    "A's export": lambda w: (w.jobs["A export"], {}),
    "A's import job": lambda w: (w.imports["A"], {}),
    "B's import job": lambda w: (w.imports["B"], {}),
    "B": lambda w: (None, {}),
    "region": lambda w: (None, {}),
    "export of A": lambda w: (None, {}),
    "the snapshot": lambda w: (w.snapshot, {}),
}

# A URL pattern -> its arguments, from the target object.
URL_KWARGS = {
    "password_reset_confirm": lambda obj: {},
    "admin:auth_user_password_change": lambda user: {"id": user.pk},
    "survey:district": lambda district: {"code": district.code},
    "survey:preview": lambda checklist: {"pk": checklist.pk},
    "admin:checklist_checklist_publish": lambda checklist: {"pk": checklist.pk},
    "survey:questions": lambda district: {"code": district.code},
    "paper:entry": lambda sheet: {"serial": sheet.serial},
    "paper:sheet": lambda sheet: {"serial": sheet.serial},
    "paper:reconcile": lambda sheet: {"serial": sheet.serial},
    "paper:sheet_edit": lambda sheet: {"serial": sheet.serial},
    "paper:sheet_void": lambda sheet: {"serial": sheet.serial},
    "reports:job": lambda job: {"job_id": job.pk},
    "reports:job-status": lambda job: {"job_id": job.pk},
    "reports:download": lambda job: {"file_id": job.files.get().pk},
    "reports-api:detail": lambda job: {"job_id": job.pk},
    "reports-api:file": lambda job: {"job_id": job.pk, "file_id": job.files.get().pk},
    "reports-api:snapshot": lambda snapshot: {"snapshot_id": snapshot.pk},
}
for _name in (
    "paper:batch",
    "paper:batch_pdf",
    "paper:batch_render",
    "paper:batch_template",
    "paper:batch_export",
    "paper:batch_import",
    "paper-batch-status",
    "paper-import-create",
    "paper:import_job",
    "paper:import_job_status",
    "paper-import-detail",
):
    URL_KWARGS[_name] = lambda obj: {"pk": obj.pk}


def _keyed(definition, answers: dict) -> dict:
    """Form fields as a volunteer types them: every item, blank where not answered."""
    return {item.code: keyed_text(item, answers.get(item.code)) for item in definition.items}


def _survey_form(w: World) -> dict:
    data = {code: str(value) for code, value in w.answers.items()}
    return {**data, "client_id": str(uuid.uuid4()), "version": str(w.definition.version)}


def _reconciled(w: World) -> dict:
    data = _keyed(w.definition, w.answers)
    return {**data, "pick-safe_walk_day": "first", "pick-env_cctv": "first", "reason": "checked the paper"}


def _import_file(w: World) -> dict:
    header = template_header(w.definition)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    keyed = _keyed(w.definition, w.answers)
    writer.writerow([w.sheets["A printed"].serial] + [keyed[code] for code in header[1:]])
    return {"file": SimpleUploadedFile("entries.csv", buffer.getvalue().encode(), content_type="text/csv")}


def _report(scope: str, formats=("html",), kind="report"):
    return lambda w: {"kind": kind, "scope": scope, "wave": w.wave.code, "language": "ru", "formats": list(formats)}


JSON = "application/json"
# A row's body -> (data, content type; None for a form).
BODIES = {
    "": lambda w: ({}, None),
    "language": lambda w: ({"language": "kk", "next": "/survey/"}, None),
    "survey answers": lambda w: (_survey_form(w), None),
    "api response": lambda w: ({"district": "KRG-KZB", "language": "ru", "answers": w.answers}, JSON),
    "serial": lambda w: ({"serial": w.sheets["A printed"].serial}, None),
    "keyed answers": lambda w: (_keyed(w.definition, w.answers), None),
    "new batch of A": lambda w: ({"district": w.district_a.pk, "wave": w.wave.pk, "language": "ru", "size": 2}, None),
    "import file": lambda w: (_import_file(w), None),
    "api import file": lambda w: (_import_file(w), None),  # multipart, like the page's form
    "reconciled answers": lambda w: (_reconciled(w), None),
    "corrected answers": lambda w: ({**_keyed(w.definition, {**w.answers, "sex": 2}), "reason": "the paper"}, None),
    "void reason": lambda w: ({"reason": "spoiled"}, None),
    "api entry": lambda w: (None, JSON),  # filled in per target (the sheet)
    "report of A": lambda w: (_report("KRG-KZB")(w), None),
    "report of B": lambda w: (_report("KRG-TEM")(w), None),
    "report of the region": lambda w: (_report("region")(w), None),
    "export of A": lambda w: (_report("KRG-KZB", ["microdata_csv"], kind="export")(w), None),
    "api report of A": lambda w: (_report("KRG-KZB")(w), JSON),
    "api report of B": lambda w: (_report("KRG-TEM")(w), JSON),
    "api report of the region": lambda w: (_report("region")(w), JSON),
    "api export of A": lambda w: (_report("KRG-KZB", ["microdata_csv"])(w), JSON),
    "wave": lambda w: ({"wave": w.wave.code}, None),
    "api wave": lambda w: ({"wave": w.wave.code}, JSON),
}


def _body(row: Row, w: World, target) -> tuple:
    if row.body == "api entry":
        return {"serial": target.serial, "answers": w.answers}, JSON
    data, content_type = BODIES[row.body](w)
    if content_type == JSON:
        data = {key: value for key, value in data.items() if key != "kind"}
    return data, content_type


# ---------------------------------------------------------------------------- the admin's rows


def _model_key(model) -> str:
    return model._meta.label_lower


ADMIN_SITE_TARGETS = {
    "admin:app_list": sorted({model._meta.app_label for model in admin.site._registry}),
    "admin:view_on_site": ["a district"],
    "admin: catch-all": ["/admin/no-such-page/"],
}


def _admin_rows() -> list[Row]:
    """The admin rule as rows: non-staff to the admin's login, the admin per ADMIN_SITE_PAGES
    and ADMIN_MODELS (a model missing from ADMIN_MODELS fails the completeness test)."""

    def cells(status) -> str:
        return " ".join([ADMIN_LOGIN] * 6 + [str(status)])

    rows = []
    for name, status in ADMIN_SITE_PAGES.items():
        for target in ADMIN_SITE_TARGETS.get(name, [""]):
            rows.append(Row(name, GET, target, cells(status)))
    for model in admin.site._registry:
        key = _model_key(model)
        statuses = ADMIN_PAGE_STATUS[ADMIN_MODELS.get(key, "full")]
        for page, status in statuses.items():
            target = key if page in ("changelist", "add") else f"first {key}"
            name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
            rows.append(Row(name, GET, target, cells(status), raw=key in RAW_MODELS and page != "add"))
    return rows


ADMIN_ROWS = _admin_rows()


def _admin_url(row: Row, w: World) -> str:
    if row.name == "admin: catch-all":
        return row.target
    if row.name == "admin:app_list":
        return reverse(row.name, kwargs={"app_label": row.target})
    if row.name == "admin:view_on_site":
        return reverse(row.name, args=[ContentType.objects.get_for_model(District).pk, w.district_a.pk])
    if row.target.startswith("first "):
        model = next(m for m in admin.site._registry if _model_key(m) == row.target.removeprefix("first "))
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the world has no {model._meta.label} for {row.name}"
        return reverse(row.name, args=[quote(obj.pk)])
    return reverse(row.name)


# ---------------------------------------------------------------------------- asking


def browser_of(persona: str, w: World) -> Client:
    client = Client()
    for name, value in w.cookies[persona].items():
        client.cookies[name] = value
    return client


def url_of(row: Row, w: World) -> tuple[str, object]:
    if row in ADMIN_ROWS:
        return _admin_url(row, w), None
    target, extra = OBJECTS[row.target](w)
    kwargs = {**(URL_KWARGS[row.name](target) if row.name in URL_KWARGS else {}), **extra}
    return reverse(row.name, kwargs=kwargs) + row.query, target


def ask(row: Row, persona: str, w: World):
    url, target = url_of(row, w)
    client = browser_of(persona, w)
    if row.method == GET:
        return client.get(url)
    data, content_type = _body(row, w, target)
    if content_type:
        return client.post(url, data, content_type=content_type)
    return client.post(url, data)


def check(response, expected, row: Row, persona: str) -> None:
    where = f"{row.label} as {persona}"
    location = response.get("Location", "")
    if expected == LOGIN:
        assert response.status_code == 302, f"{where}: {response.status_code}, not the login page"
        assert location.startswith(reverse("login") + "?next="), f"{where}: redirected to {location}"
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302, f"{where}: {response.status_code}, not the admin's login"
        assert location.startswith(reverse("admin:login") + "?next="), f"{where}: redirected to {location}"
    elif expected == int(REDIRECT):
        assert response.status_code == 302, f"{where}: {response.status_code}, not a redirect"
        assert not location.startswith(reverse("login")), f"{where}: sent to log in"
        assert not location.startswith(reverse("admin:login")), f"{where}: sent to the admin's login"
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}, not {expected}"


CASES = [
    pytest.param(row, persona, id=f"{row.label} as {persona}") for row in ROWS + ADMIN_ROWS for persona in PERSONAS
]


@pytest.mark.parametrize(("row", "persona"), CASES)
def test_each_persona_gets_the_status_the_matrix_promises(world, db, row, persona):
    check(ask(row, persona, world), row.expect[persona], row, persona)


# ---------------------------------------------------------------------------- completeness


def _patterns(resolver, prefix="", namespace=""):
    """(qualified name or None, namespace, route) of every URL pattern, depth first."""
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from _patterns(pattern, route, inner if pattern.namespace else namespace)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name, namespace, route


# Every ModelAdmin's pages; the rule opens those of ADMIN_PAGE_STATUS (history follows "change").
MODEL_PAGES = ("changelist", "add", "change", "delete", "history")


def unclassified(resolver) -> list[str]:
    """URL patterns that no row of the matrix (or of the admin rule) covers."""
    covered = {row.name for row in ROWS + ADMIN_ROWS}
    model_pages = {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
        for model in admin.site._registry
        for page in MODEL_PAGES
    }
    missing = []
    for name, namespace, route in _patterns(resolver):
        if namespace == "admin":
            if name is None:
                # The admin's catch-all, and each model's "<id>/" redirect to its change page.
                if route == "admin/(?P<url>.*)$" and "admin: catch-all" in covered:
                    continue
                if re.fullmatch(r"admin/\w+/\w+/<path:object_id>/", route):
                    continue
            elif name in covered or name in model_pages:
                continue
            missing.append(name or route)
        elif name is None or name not in covered:
            missing.append(name or route)
    return missing


def test_every_url_pattern_of_the_site_has_a_row_in_the_matrix():
    assert unclassified(get_resolver()) == []


def _urlconf_with_debug():
    """safetysurvey/urls.py loaded afresh with DEBUG on, without touching the one in use."""
    spec = importlib.util.spec_from_file_location("safetysurvey.urls_with_debug", URLCONF)
    module = importlib.util.module_from_spec(spec)
    with override_settings(DEBUG=True):
        spec.loader.exec_module(module)
    return module


def test_every_url_pattern_is_classified_with_debug_on_too():
    # Patterns added only when DEBUG is on (static or media serving) must be classified as well.
    assert unclassified(get_resolver(_urlconf_with_debug())) == []


def test_uploaded_files_have_no_url_of_their_own_even_with_debug_on():
    # Batch PDFs (and any upload) are handed out by views that check the district; a media
    # route would serve them to anyone who guesses the name (sheets-KRG-KZB-2020-batch1.pdf).
    with pytest.raises(Resolver404):
        get_resolver(_urlconf_with_debug()).resolve(f"{settings.MEDIA_URL}paper/sheets.pdf")


def test_every_model_in_the_admin_is_classified():
    registered = {_model_key(model) for model in admin.site._registry}
    assert registered == set(ADMIN_MODELS)
    assert set(ADMIN_MODELS.values()) <= set(ADMIN_PAGE_STATUS)
    assert RAW_MODELS <= registered


def test_the_completeness_check_notices_a_new_url():
    from django.urls import include, path

    class Urls:
        urlpatterns = [path("", include("safetysurvey.urls")), path("new/", lambda request: None, name="new-page")]

    assert unclassified(get_resolver(Urls)) == ["new-page"]


# ---------------------------------------------------------------------------- raw answers


def test_only_the_raw_readers_are_promised_residents_raw_answers():
    raw_rows = [row for row in ROWS + ADMIN_ROWS if row.raw]
    assert {row.name for row in raw_rows} >= {
        "paper:batch_export",
        "paper:sheet",
        "reports:download",
        "reports-api:file",
        "admin:surveys_response_changelist",
    }
    for row in raw_rows:
        readers = {persona for persona, status in row.expect.items() if isinstance(status, int) and status < 300}
        assert readers <= RAW_READERS, f"{row.label}: {readers - RAW_READERS} would read raw answers"
        if row.target.startswith("B's"):
            assert "coordinator" not in readers, row.label
        if "analyst" in readers:  # the working group reads raw answers only as exports
            assert "export" in row.target, row.label


def test_no_api_echoes_the_answers_it_was_sent(world, db):
    # The survey API answers with the scores, the paper API with the sheet's state.
    survey = next(row for row in ROWS if row.name == "api-responses" and row.method == POST)
    body = ask(survey, "anonymous", world).json()
    assert "answers" not in body and set(body["scores"]) >= {"feeling", "overall"}
    paper = next(row for row in ROWS if row.name == "paper-entry-create" and row.target == "A's printed sheet")
    body = ask(paper, "volunteer_a", world).json()
    assert "answers" not in body and body["status"] == "entered_once"


# ---------------------------------------------------------------------------- lists are scoped


def _batch_ids(persona: str, w: World) -> set[int]:
    response = browser_of(persona, w).get(reverse("paper-batch-list"))
    assert response.status_code == 200
    return {batch["id"] for batch in response.json()}


def test_the_paper_api_lists_only_the_batches_of_ones_own_districts(world, db):
    a, b = world.batch_a.pk, world.batch_b.pk
    assert _batch_ids("volunteer_a", world) == {a}
    assert _batch_ids("volunteer_b", world) == {b}
    assert _batch_ids("coordinator", world) == {a}
    assert _batch_ids("admin", world) == {a, b}


def test_the_volunteer_home_page_lists_only_ones_own_districts_batches(world, db):
    page_b = browser_of("volunteer_b", world).get(reverse("paper:home")).content.decode()
    assert reverse("paper:batch", args=[world.batch_b.pk]) in page_b
    assert reverse("paper:batch", args=[world.batch_a.pk]) not in page_b


def test_the_reconciliation_queue_lists_only_ones_own_districts_sheets(world, db):
    a, b = world.sheets["A conflict"].serial, world.sheets["B conflict"].serial
    coordinator = browser_of("coordinator", world).get(reverse("paper:queue")).content.decode()
    assert a in coordinator and b not in coordinator
    everyone = browser_of("admin", world).get(reverse("paper:queue")).content.decode()
    assert a in everyone and b in everyone


def test_the_progress_page_counts_only_ones_own_districts(world, db):
    response = browser_of("coordinator", world).get(reverse("paper:progress"))
    assert [row.code for row in response.context["districts"]] == ["KRG-KZB"]
    assert {row.username for row in response.context["volunteers"]} == {"volunteer_a", "volunteer_a2"}


def test_a_coordinator_cannot_print_a_batch_for_another_district(world, db):
    data = {"district": world.district_b.pk, "wave": world.wave.pk, "language": "ru", "size": 2}
    response = browser_of("coordinator", world).post(reverse("paper:batch_new"), data)
    assert response.status_code == 200 and response.context["form"].errors["district"]
    assert Batch.objects.filter(district=world.district_b).count() == 1


def _finished_jobs(persona: str, w: World) -> set[int]:
    response = browser_of(persona, w).get(reverse("reports:index"))
    assert response.status_code == 200
    return {job.pk for job in response.context["finished"]}


def test_the_reports_page_lists_a_coordinator_only_their_districts_reports(world, db):
    jobs = world.jobs
    assert _finished_jobs("coordinator", world) == {jobs["A"].pk}
    assert _finished_jobs("analyst", world) == {job.pk for job in jobs.values()}
    assert _finished_jobs("admin", world) == {job.pk for job in jobs.values()}


def test_the_aggregates_give_a_coordinator_only_their_districts_and_no_region(world, db):
    coordinator = browser_of("coordinator", world).get(reverse("reports-api:aggregates")).json()
    assert [unit["code"] for unit in coordinator["districts"]] == ["KRG-KZB"] and coordinator["region"] is None
    analyst = browser_of("analyst", world).get(reverse("reports-api:aggregates")).json()
    assert {"KRG-KZB", "KRG-TEM"} <= {unit["code"] for unit in analyst["districts"]}
    assert analyst["region"] is not None
