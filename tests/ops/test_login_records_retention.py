"""Staff login records (django-axes: who logged in, when, from which address, with which
browser) are kept LOGIN_RECORDS_DAYS days: the nightly beat deletes older ones and keeps the
rest, and failed attempts go once they lock no one."""

import datetime
import importlib
import os
import subprocess
import sys

import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.urls import reverse

from safetysurvey.celery import app
from tests.conftest import PASSWORD

from .helpers import ROOT

PURGE = "purge-login-records"
DAY_0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def attempt(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password}, HTTP_USER_AGENT=BROWSER)


def at(days: float, hours: float = 0):
    return time_machine.travel(DAY_0 + datetime.timedelta(days=days, hours=hours), tick=False)


def run_the_nightly_purge() -> int:
    """What beat sends at night, run here: the task its schedule names."""
    name = settings.CELERY_BEAT_SCHEDULE[PURGE]["task"]
    importlib.import_module(name.rsplit(".", 1)[0])  # as the worker's autodiscovery does
    return app.tasks[name].apply().get()


def test_the_nightly_beat_runs_the_purge_once_a_day():
    entry = settings.CELERY_BEAT_SCHEDULE[PURGE]
    assert entry["task"] == "safetysurvey.tasks.purge_login_records"
    schedule = entry["schedule"]
    assert len(schedule.hour) == 1 and len(schedule.minute) == 1 and len(schedule.day_of_week) == 7


def test_logins_and_failed_logins_older_than_login_records_days_are_deleted_and_recent_ones_kept(
    client, coordinator, analyst, volunteer_a, settings
):
    assert settings.LOGIN_RECORDS_DAYS == 30
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True  # off by default; its rows must go too
    with at(0):
        assert attempt(client, "coordinator").status_code == 302
        client.logout()
        assert attempt(client, "volunteer_a", "wrong").status_code == 200
    with at(25):
        assert attempt(client, "analyst").status_code == 302
        client.logout()
        assert attempt(client, "volunteer_a", "still wrong").status_code == 200
    assert AccessLog.objects.count() == 2 and AccessFailureLog.objects.count() == 2

    with at(30, hours=-6):  # 30 days less 6 hours after the first login: none is old enough
        run_the_nightly_purge()
    assert AccessLog.objects.count() == 2 and AccessFailureLog.objects.count() == 2

    with at(31):
        assert run_the_nightly_purge() == 2  # day 0's login and failure
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["analyst"]
    assert [(f.username, f.attempt_time) for f in AccessFailureLog.objects.all()] == [
        ("volunteer_a", DAY_0 + datetime.timedelta(days=25))
    ]


def test_a_failed_login_is_deleted_once_its_cool_off_is_over_even_if_nobody_logs_in_again(client, volunteer_a):
    # axes deletes spent attempts only when somebody logs in; on a quiet site they would stay.
    with at(0):
        assert attempt(client, "volunteer_a", "wrong").status_code == 200
    assert AccessAttempt.objects.filter(username="volunteer_a", user_agent=BROWSER).exists()
    with at(0, hours=18):
        run_the_nightly_purge()
    assert not AccessAttempt.objects.exists()


def test_the_purge_keeps_failed_logins_within_their_cool_off_so_a_locked_account_stays_locked(client, volunteer_a):
    with at(0):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt(client, "volunteer_a", "wrong")
    with at(0, hours=0.1):  # six minutes later, within the 15-minute cool-off
        assert run_the_nightly_purge() == 0
        assert attempt(client, "volunteer_a").status_code == 429


def test_the_purge_can_run_twice(client, analyst):
    with at(0):
        attempt(client, "analyst")
    with at(31):
        assert run_the_nightly_purge() == 1
        assert run_the_nightly_purge() == 0


def retention_from(value: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "LOGIN_RECORDS_DAYS")}
    return subprocess.run(
        [sys.executable, "-c", "import safetysurvey.settings as s; print(s.LOGIN_RECORDS_DAYS)"],
        cwd=ROOT,
        env={**env, "DEBUG": "1", "LOGIN_RECORDS_DAYS": value},
        capture_output=True,
        text=True,
    )


def test_the_retention_comes_from_the_environment_and_a_bad_value_fails_loudly():
    assert retention_from("").stdout.strip() == "30"
    assert retention_from("90").stdout.strip() == "90"
    assert "LOGIN_RECORDS_DAYS must be 1 or more, not 0" in retention_from("0").stderr
    assert "LOGIN_RECORDS_DAYS must be an integer" in retention_from("a month").stderr
