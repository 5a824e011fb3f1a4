import logging
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import NotFound

from surveys.roles import ANALYST, COORDINATOR, VOLUNTEER, role_names

from .outages import DATABASE_ERRORS, database_unavailable

logger = logging.getLogger(__name__)

# How long /readyz waits for each service before calling it down.
READY_TIMEOUT_SECONDS = 2


def home(request):
    """The front page: residents go to the survey; staff find their tools."""
    return render(request, "home.html")


@login_required
def role_home(request):
    """Where a staff member lands after logging in: the tools of their role. Volunteers and
    coordinators key and check paper sheets, analysts read reports, an admin with no role
    of ours goes to the admin; anyone else to the home page."""
    roles = role_names(request.user)
    if request.user.is_superuser:
        return redirect("admin:index")
    if VOLUNTEER in roles or COORDINATOR in roles:
        return redirect("paper:home")
    if ANALYST in roles:
        return redirect("reports:index")
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("home")


def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin, the API):
    the site's icon from the static files."""
    return redirect(static("favicon.ico"), permanent=True)


def page_not_found(request, exception):
    """404 (settings.DEBUG off): JSON `{"detail": ...}` under /api/, as every API answer is and as
    the schema says (a path the URLconf does not know, e.g. /api/v1/reports/abc/); the usual page
    elsewhere."""
    if request.path.startswith("/api/"):
        # Unescaped UTF-8, as DRF's renderer writes every other API answer.
        body = {"detail": str(NotFound.default_detail)}
        return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
    return defaults.page_not_found(request, exception)


@never_cache
def healthz(request):
    """Liveness: the process answers. Touches nothing else, so a database outage does not
    make the load balancer restart healthy web processes."""
    return JsonResponse({"status": "ok"})


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache():
    cache.set("readyz", "ok", timeout=10)
    if cache.get("readyz") != "ok":
        raise RuntimeError("the cache did not return what was written")


def _broker():
    from safetysurvey.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=READY_TIMEOUT_SECONDS)


@never_cache
def readyz(request):
    """Readiness: the database and the cache answer, and the Celery broker when one is
    configured. 200 {"status": "ok", "checks": {...}}, or 503 naming what failed."""
    probes = {"database": _database, "cache": _cache}
    if settings.CELERY_BROKER_URL:
        probes["broker"] = _broker
    checks = {}
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as error:  # any failure means: not ready
            logger.warning("readyz: %s unavailable: %s", name, error.__class__.__name__)
            checks[name] = f"unavailable ({error.__class__.__name__})"
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def server_error(request):
    """handler500: an error raised outside a view (a middleware saving the session, say)
    because the database is away still answers 503 with Retry-After; anything else gets
    Django's plain 500 page."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable(request, error)
    return defaults.server_error(request)
