"""When a backing service is down: Redis logged once per outage, the database answered 503.

When Redis (the cache) stops answering, every submission that asks it would otherwise write
a warning with a traceback: hundreds a minute on a busy evening, and the one line that says
what happened is lost among them. Code that degrades gracefully (the rate limiter lets
submissions through) reports each failure
here instead: the first one is a WARNING naming the service, the error and what it means
for users; the rest are DEBUG until the service answers again, which is an INFO line.

The state is per process (each gunicorn worker warns once); it holds no request data and
never a client address.

The database is different: nothing works without it. A request that finds it unreachable
(PostgreSQL restarting, a failover) gets a clean 503 with Retry-After instead of a 500 and
a traceback; see DatabaseUnavailableMiddleware below and docs/deploying.md.
"""

import logging
import threading

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class Outage:
    """The state of one backing service in this process."""

    def __init__(self, service: str):
        self.service = service
        self.down = False
        self._lock = threading.Lock()

    def failed(self, error: BaseException, consequence: str) -> None:
        """The service failed; `consequence` says what users get instead (one phrase)."""
        with self._lock:
            first, self.down = not self.down, True
        if first:
            logger.warning(
                "%s unavailable (%s: %s); %s. Logged once until it answers again.",
                self.service, type(error).__name__, error, consequence,
            )
        else:
            logger.debug("%s still unavailable (%s); %s", self.service, type(error).__name__, consequence)

    def answered(self) -> None:
        """The service answered. Costs one attribute read while it is up (hot paths call it)."""
        if not self.down:
            return
        with self._lock:
            was_down, self.down = self.down, False
        if was_down:
            logger.info("%s reachable again", self.service)


# The Django cache (Redis in production): the rate-limit counters and the aggregate figures.
CACHE = Outage("cache")


# ---------------------------------------------------------------------------- the database

# What Django raises when PostgreSQL is unreachable, restarting, or cut the connection
# (psycopg's errors arrive wrapped in these; a dead connection object gives InterfaceError).
DATABASE_ERRORS = (OperationalError, InterfaceError)
# A restart of PostgreSQL takes a few seconds; a failover somewhat longer.
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = _(
    "The service cannot reach its database at the moment. Send the request again in a few seconds."
)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def database_unavailable(request, error: BaseException) -> HttpResponse:
    """503 with Retry-After: JSON `{"detail": ...}` under /api/, a short page elsewhere.
    Rendered without the database (no user, no session, no messages)."""
    logger.warning(
        "database unavailable, answered 503: %s %s (%s: %s)",
        request.method, request.path, type(error).__name__, _first_line(error),
    )
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": str(DATABASE_UNAVAILABLE)}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is away answers 503 (database_unavailable),
    not 500 with a traceback: clients can act on it (an offline phone keeps the response
    and sends it again with the same client_id). Errors outside views reach handler500,
    which does the same (safetysurvey.views.server_error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None
