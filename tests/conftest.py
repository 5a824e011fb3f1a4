"""Shared fixtures: the checklist and districts as shipped, an open wave, and one cast of
personas that every access test uses. Also the rule for tests that need real services.

Tests marked `postgres`, `redis`, `celery_worker` or `browser` skip with a reason when the
service is missing, so `make test` passes on a laptop with nothing running; with
REQUIRE_SERVICES=1 (CI) a missing service fails them instead.
"""

import datetime
import os
import shutil
from functools import cache
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.utils import translation

from checklist.definition import clear_cache, definition_for
from checklist.loading import checklist_load, districts_load
from checklist.models import District
from surveys import roles
from surveys.models import Assignment, Wave

DATA = Path(__file__).resolve().parent.parent / "checklist" / "data"
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") in ("1", "true", "yes")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct-horse-battery-staple"


@cache
def redis_unavailable() -> str:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return ""
    except Exception as error:  # any failure means: not usable here
        return f"Redis at {REDIS_URL} is not reachable ({error})"


def postgres_unavailable() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/safetysurvey"
    return ""


def browser_unavailable() -> str:
    if not shutil.which(CHROMIUM):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium; `make browsers`)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs the playwright package"
    return ""


def pytest_runtest_setup(item):
    checks = {
        "postgres": postgres_unavailable,
        "redis": redis_unavailable,
        "celery_worker": lambda: postgres_unavailable() or redis_unavailable(),
        "browser": browser_unavailable,
    }
    for marker, check in checks.items():
        if item.get_closest_marker(marker) and (reason := check()):
            if REQUIRE_SERVICES:
                pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
            pytest.skip(reason)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # PBKDF2 at Django's production strength costs most of a second per password on this
    # machine, and nearly every test makes staff users; nothing here checks its strength.
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["tests.hashers.OneRoundPBKDF2PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_definition_cache():
    # Checklist ids repeat across test databases; the in-process cache must not.
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _default_language():
    # A request through the test client leaves its language (say, Kazakh from an
    # Accept-Language header) active in this thread; the next test starts from the default.
    yield
    translation.deactivate()


@pytest.fixture
def checklist(db):
    """The shipped checklist v1, published."""
    return checklist_load(text=(DATA / "checklist-v1.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def definition(checklist):
    return definition_for(checklist)


@pytest.fixture
def districts(db):
    districts_load(text=(DATA / "karaganda.yaml").read_text(encoding="utf-8"))
    return {district.code: district for district in District.objects.all()}


@pytest.fixture
def district_a(districts):
    return districts["KRG-KZB"]


@pytest.fixture
def district_b(districts):
    return districts["KRG-TEM"]


@pytest.fixture
def wave(db):
    return Wave.objects.create(code="2020", name="2020", starts_on=datetime.date(2020, 3, 1), is_open=True)


@pytest.fixture
def survey_ready(checklist, districts, wave):
    """Everything a resident needs to answer: a published checklist, districts, an open wave."""
    return {"checklist": checklist, "districts": districts, "wave": wave}


def make_staff(username: str, role: str | None = None, districts=(), **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        roles.ensure_groups()
        user.groups.add(Group.objects.get(name=role))
    for district in districts:
        Assignment.objects.create(user=user, district=district)
    return user


# The cast (STYLE.md rule 10): the same people in every access test.
@pytest.fixture
def volunteer_a(district_a):
    return make_staff("volunteer_a", roles.VOLUNTEER, [district_a])


@pytest.fixture
def volunteer_a2(district_a):
    """A second volunteer of district A: double entry needs two different people."""
    return make_staff("volunteer_a2", roles.VOLUNTEER, [district_a])


@pytest.fixture
def volunteer_b(district_b):
    """A volunteer of another district, who must be refused district A's sheets."""
    return make_staff("volunteer_b", roles.VOLUNTEER, [district_b])


@pytest.fixture
def coordinator(district_a):
    return make_staff("coordinator", roles.COORDINATOR, [district_a])


@pytest.fixture
def analyst(db):
    return make_staff("analyst", roles.ANALYST)


@pytest.fixture
def admin_user(db):
    return make_staff("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def login(client):
    """login(user) -> the test client, logged in as that user."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture(autouse=True)
def _fresh_survey_state():
    # surveys.current keeps the open wave, checklist and districts per process for a few
    # seconds, and the cache holds the per-address submission counters: neither may leak
    # from one test into the next (every test client comes from 127.0.0.1).
    from django.core.cache import cache

    from surveys import current

    current.clear()
    cache.clear()
    yield
    current.clear()


@pytest.fixture
def valid_answers(definition):
    """A valid answer (typed, as the API takes it) to every shown required item of checklist
    v1: a middle point of each scale, and "no" to each yes/no question, so that no follow-up
    question is shown. (The survey's form tests have their own `complete_answers`.)"""
    answers = {}
    for item in definition.items:
        if not item.required or item.show_if_item:
            continue
        if item.kind == "yes_no":
            answers[item.code] = 0
        else:
            points = sorted(option.value for option in item.options if not option.missing)
            answers[item.code] = points[len(points) // 2]
    return answers


# Browser tests (marker `browser`): Playwright's sync API driving Debian's Chromium against
# pytest-django's `live_server`. `page` is a fresh phone-sized (390x844) context per test.
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (launching takes about a second)."""
    # Playwright's sync API runs an event loop in this thread, which trips Django's
    # async-unsafe check on ORM calls made by the test itself.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A new page on a 390x844 phone viewport in Russian; closed after the test."""
    context = browser.new_context(viewport=PHONE, locale="ru-RU")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


# ---------------------------------------------------------------------------- paper (issue 3)
@pytest.fixture
def media_root(settings, tmp_path):
    """Files written by a test (printable PDFs) go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def complete_answers(definition, **overrides) -> dict:
    """A full, valid set of answers: the first real option of every required question
    (so every "did it happen" is "yes"... unless overridden), follow-ups left out."""
    answers = {}
    for item in definition.items:
        if item.required and not item.show_if_item:
            option = next(option for option in item.options if not option.missing)
            answers[item.code] = option.value
    answers.update({key: value for key, value in overrides.items() if value is not None})
    for key, value in overrides.items():
        if value is None:
            answers.pop(key, None)
    return answers


@pytest.fixture
def sheet_answers(definition):
    """Valid answers of one paper sheet, with no victimisation (so no follow-ups)."""
    return complete_answers(
        definition, vic_burglary=0, vic_transport_theft=0, vic_fraud=0, vic_assault_hooliganism=0, age_group=2, sex=1
    )


@pytest.fixture
def paper_batch(survey_ready, district_a, coordinator):
    """A batch of three sheets for district A in Russian (no PDF rendered)."""
    from surveys.paper_services import batch_create

    return batch_create(
        district=district_a, wave=survey_ready["wave"], language="ru", size=3, created_by=coordinator, render_pdf=False
    )


@pytest.fixture
def report_data(checklist, definition, districts, wave):
    """Two waves of responses for the report tests (tests/reports/seeding.py): Kazybek Bi
    and Temirtau with enough responses, Saran with too few; their figures published (a
    snapshot of each wave, as the nightly run makes them: METHOD.md §4.10)."""
    from reports.snapshots import snapshots_nightly
    from tests.reports.seeding import seed_report_data

    data = seed_report_data(checklist=checklist, definition=definition, districts=districts, wave=wave)
    snapshots_nightly()
    return data
