"""Staff login records (django-axes): the client address they name, and how long they stay.

django-axes writes a row for every staff login (`AccessLog`) and every failed one
(`AccessAttempt`, plus `AccessFailureLog` when that log is switched on), each with the
client's address and full user agent. They serve a security review of recent logins and the
lockout, nothing else, so they are kept `LOGIN_RECORDS_DAYS` days and then deleted by the
nightly beat (safetysurvey.tasks.purge_login_records; docs/deploying.md, "Logs and privacy").
"""

import ipaddress
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.db import transaction
from django.utils import timezone

from surveys.ratelimit import client_address


def login_client_address(request) -> str | None:
    """The address axes records: the client as the trusted proxies saw it (`TRUSTED_PROXY_COUNT`).

    The same rule as the rate limit's (surveys.ratelimit.client_address): behind N proxies the
    N-th entry of X-Forwarded-For from the right, never one further left that the client wrote;
    REMOTE_ADDR with no proxy. None if that is not an IP address (a proxy count set higher than
    the proxies there are), rather than a value the database's address column would refuse.
    """
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


@dataclass(frozen=True)
class LoginRecordsPurged:
    access_logs: int
    failure_logs: int
    attempts: int


def login_records_purge(*, days: int) -> LoginRecordsPurged:
    """Delete the login records older than `days` days, and failed attempts that lock no one.

    Access logs (successful logins) and access failure logs go once they are `days` days old.
    A failed-login attempt goes as soon as its cool-off (`AXES_COOLOFF_MINUTES`) is over: it
    no longer counts towards a lockout, and axes itself deletes such rows only when someone
    logs in again. Attempts within their cool-off stay, so a locked account stays locked.
    Safe to run twice.
    """
    if days < 1:
        raise ValueError(f"login records are kept at least one day, not {days}")
    with transaction.atomic():
        # axes' own deletions, as its axes_reset_logs and axes_reset_failure_logs commands do.
        access_logs = AxesProxyHandler.reset_logs(age_days=days)
        failure_logs = AxesProxyHandler.reset_failure_logs(age_days=days)
        cool_off = get_cool_off()  # AXES_COOLOFF_TIME as a timedelta
        attempts = 0
        if cool_off is not None:  # None would mean: locked until an admin unlocks; keep them all
            _, deleted = AccessAttempt.objects.filter(attempt_time__lt=timezone.now() - cool_off).delete()
            attempts = deleted.get(AccessAttempt._meta.label, 0)
    return LoginRecordsPurged(access_logs=access_logs, failure_logs=failure_logs, attempts=attempts)
