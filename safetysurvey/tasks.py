"""Celery tasks of the project itself: thin (STYLE.md rule 4), each calls one service."""

from celery import shared_task
from django.conf import settings

from .logins import login_records_purge


@shared_task
def purge_login_records() -> int:
    """Nightly (settings.CELERY_BEAT_SCHEDULE): returns how many login records it deleted."""
    purged = login_records_purge(days=settings.LOGIN_RECORDS_DAYS)
    return purged.access_logs + purged.failure_logs + purged.attempts
