"""Schemathesis fuzzes every API operation against the OpenAPI schema the app itself serves
(/api/schema/), in-process through Django's WSGI handler, inside the test's database
transaction: no 5xx, and every response is documented (status code, content type, headers)
and matches its schema. Anonymous on every operation, and authenticated (DRF token) as the
personas who may use the protected ones, so that generated input gets past 401/403 into the
real validation.

Bounded and deterministic for CI. To fuzz longer or randomly by hand (docs/api.md):

    FUZZ_EXAMPLES=200 FUZZ_SEED=random .venv/bin/python -m pytest tests/surveys/test_api_schemathesis.py

FUZZ_EXAMPLES: generated cases per operation in the fuzzing phase (the examples and coverage
phases add theirs). FUZZ_SEED: unset = derandomized (the same cases on every run); a number
= that seed; `random` = a new seed each run, named in the failure.
"""

import os
import random

import pytest
import schemathesis
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.color import no_style
from django.db import connection
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from reports.models import ReportFile, ReportJob, Snapshot
from reports.snapshots import snapshot_make
from surveys.paper_api import EXAMPLE_ENTRY
from surveys.paper_models import Batch, ImportJob, Sheet
from surveys.paper_services import batch_create
from tests.reports.seeding import seed_responses

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SEED = os.environ.get("FUZZ_SEED", "")
if SEED == "random":
    SEED = str(random.randrange(2**32))
elif SEED and not SEED.isdigit():
    raise ValueError(f"FUZZ_SEED must be a number or 'random', not {SEED!r}")

# Django's own WSGI application, called in-process (no server, no network). A configuration of its
# own: no schemathesis.toml lying around changes what CI runs.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), config=SchemathesisConfig())
schema.config.generation.update(
    max_examples=EXAMPLES,
    deterministic=not SEED,
    # No example database: a CI run replays nothing from an earlier run.
    database="none",
)
if SEED:
    schema.config.seed = int(SEED)

# Every built-in check runs but one. positive_data_acceptance expects every schema-valid request
# to be accepted (2xx), but what this API accepts depends on the database, which no schema can
# say: a district code that exists, a wave that exists, the serial of a printed sheet, the item
# codes and options of the published checklist. A schema-valid `{"scope": "KRG-XYZ"}` is rightly
# a 400. (Where the schema could say more, it does: lengths, enums, formats.)
NOT_APPLICABLE = [positive_data_acceptance]

# Token keys are fixed because Schemathesis asks for the credentials while it collects the tests,
# before any database exists; the `tokens` fixture stores these keys for the personas.
TOKEN_KEYS = {"coordinator": "f" * 39 + "1", "analyst": "f" * 39 + "2"}

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def token_of(username: str):
    """A Schemathesis auth provider sending `username`'s DRF token (docs/paper.md, "API")."""

    class PersonaToken:
        def get(self, case, context):
            return TOKEN_KEYS[username]

        def set(self, case, key, context):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Token {key}"

    return PersonaToken


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Each persona has a password; PBKDF2 makes that a second or more per user on a busy machine,
    # and nobody logs in with a password here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def _wsgi_in_test_transaction():
    """Keep Django's WSGI handler from closing the test's connection between requests, as the test
    client does: request_started and request_finished would close it, and with it the transaction
    that holds the test's data."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(survey_ready, definition, district_a, district_b, coordinator, analyst, monkeypatch, tmp_path):
    """Something for every operation to find: the published checklist, the districts and the open
    wave 2020; responses in district A; batch 1 of sheets in district A (the coordinator's) and
    batch 2 in district B; job 1, a finished report of district A with its file 1, and job 2, one of
    the region (the analyst's only); import job 1, a failed import into batch 1; snapshot 1, the
    wave's published figures (a response has come in since, so that an analyst's POST
    /api/v1/snapshots/ queues a new one)."""
    # Row ids from 1 on PostgreSQL too (its sequences ignore rollbacks), so that the small
    # integers the fuzzer tries in paths find these rows.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Batch, Sheet, ReportJob, ReportFile, ImportJob, Snapshot]
        ):
            cursor.execute(sql)
    monkeypatch.setattr(ReportFile._meta.get_field("file"), "storage", FileSystemStorage(location=tmp_path))
    wave = survey_ready["wave"]
    seed_responses(
        definition=definition, checklist=survey_ready["checklist"], wave=wave, district=district_a,
        count=12, safety=0.5, seed=1,
    )
    batch = batch_create(
        district=district_a, wave=wave, language="ru", size=3, created_by=coordinator, render_pdf=False
    )
    batch_create(district=district_b, wave=wave, language="kk", size=2, created_by=coordinator, render_pdf=False)
    ImportJob.objects.create(
        batch=batch, uploaded_by=coordinator, language="ru", filename="entries.csv", size=9,
        status=ImportJob.Status.FAILED, row_errors=[{"row": 2, "column": "serial", "message": "No sheet."}],
        row_error_count=1,
    )
    for district, user in ((district_a, coordinator), (None, analyst)):
        job = ReportJob.objects.create(
            scope=ReportJob.Scope.DISTRICT if district else ReportJob.Scope.REGION, district=district, wave=wave,
            language="ru", formats="html", status=ReportJob.Status.DONE, progress=100, requested_by=user,
            fingerprint="0" * 64,
        )
        name = f"{district.code if district else 'region'}-2020-ru.html"
        report = ReportFile(job=job, format="html", filename=name, mimetype="text/html", size=9)
        report.file.save(name, ContentFile(b"<p>x</p>\n"), save=False)
        report.save()
    snapshot_make(wave=wave, trigger=Snapshot.Trigger.NIGHTLY)
    seed_responses(
        definition=definition, checklist=survey_ready["checklist"], wave=wave, district=district_a,
        count=1, safety=0.5, seed=2,
    )


@pytest.fixture
def tokens(coordinator, analyst):
    for user in (coordinator, analyst):
        Token.objects.create(user=user, key=TOKEN_KEYS[user.username])


@pytest.fixture
def reached():
    """The status codes a persona got from requests with the operation's own method. Afterwards at
    least one must be a success: else the token did not work, or the data gave the fuzzer nothing to
    find, and it only ever tested the refusals."""
    statuses = []
    yield statuses
    if statuses:
        assert any(200 <= status < 300 for status in statuses), f"no success, only {sorted(set(statuses))}"


def fuzz(case, reached=None):
    try:
        response = case.call_and_validate(excluded_checks=NOT_APPLICABLE)
    except Exception as failure:
        if SEED:
            failure.add_note(f"Run again with FUZZ_SEED={SEED} FUZZ_EXAMPLES={EXAMPLES} to repeat these cases.")
        raise
    if reached is not None and response.request.method == case.method.upper():
        reached.append(response.status_code)


@schema.parametrize()
@FUZZ
def test_anonymous_requests_get_documented_answers(case, api_data, _wsgi_in_test_transaction):
    fuzz(case)


# The coordinator of district A may use every protected operation (paper entry, batches, reports
# and figures of the district) but publishing figures; the analyst the reports and figures of the
# whole region, and publishing them.
@schema.exclude(path_regex="^/api/v1/(checklist|districts|responses|snapshots)/").parametrize()
@schema.auth(token_of("coordinator"), refresh_interval=None)
@FUZZ
def test_a_coordinators_requests_get_documented_answers(case, api_data, tokens, reached, _wsgi_in_test_transaction):
    fuzz(case, reached)


@schema.include(path_regex="^/api/v1/(reports|aggregates|snapshots)/").parametrize()
@schema.auth(token_of("analyst"), refresh_interval=None)
@FUZZ
def test_an_analysts_requests_get_documented_answers(case, api_data, tokens, reached, _wsgi_in_test_transaction):
    fuzz(case, reached)


def test_the_paper_example_is_the_serial_of_a_printed_sheet(api_data):
    # The schema's example entry (the examples phase sends it) keys a real sheet, so the
    # fuzzing reaches the answers' validation and storage, not only "unknown serial".
    assert Sheet.objects.filter(serial=EXAMPLE_ENTRY["serial"]).exists()
