"""A per-address limit on anonymous submissions, held only in the cache.

The client's address is never stored, logged or used as a cache key: the key holds an HMAC
of it (keyed with SECRET_KEY, so nobody holding the cache can hash all 2^32 IPv4 addresses
to reverse it) and the hour it counts, and it expires with that hour. IPv6 addresses count
by their /64 network, the block one household or phone is usually given.

`rate_limited(request)` asks whether the address has used up this hour's submissions;
`rate_limit_count(request)` counts one more once a submission was stored. The limit is
settings.SURVEY_RATE_LIMIT per hour (0 turns it off). When the cache is down, residents
can still submit: the limiter fails open and says so in the log (without the address).
"""

import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600
RATE_LIMITED = _("Too many responses have come from your network in the last hour. Please try again later.")


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _window(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // WINDOW_SECONDS)


def cache_key(request, now: float | None = None) -> str:
    """The counter's key for the request's address and the current hour: an HMAC, never the address."""
    digest = salted_hmac("surveys.ratelimit", _network(request.META.get("REMOTE_ADDR", "")), algorithm="sha256")
    return f"survey-rate:{_window(now)}:{digest.hexdigest()[:40]}"


def retry_after(now: float | None = None) -> int:
    """Seconds until the current hour's counters start again."""
    now = time.time() if now is None else now
    return int((_window(now) + 1) * WINDOW_SECONDS - now) + 1


def rate_limited(request) -> bool:
    """True when the request's address has already made SURVEY_RATE_LIMIT submissions this hour."""
    limit = settings.SURVEY_RATE_LIMIT
    if limit <= 0:
        return False
    try:
        return (cache.get(cache_key(request)) or 0) >= limit
    except Exception:  # the cache backend's own errors differ (Redis, Memcached, ...)
        logger.warning("Rate-limit cache unavailable; letting the submission through", exc_info=True)
        return False


def rate_limit_count(request) -> int:
    """Count one stored submission from the request's address; returns this hour's count so far."""
    if settings.SURVEY_RATE_LIMIT <= 0:
        return 0
    key = cache_key(request)
    try:
        # incr() and add() are atomic in every shared backend. incr() first: after the
        # hour's first submission the counter exists. The key outlives its hour by a minute,
        # so it never expires while its hour can still ask for it.
        try:
            return cache.incr(key)
        except ValueError:
            if cache.add(key, 1, timeout=WINDOW_SECONDS + 60):
                return 1
            return cache.incr(key)  # another process added it in between
    except Exception:
        logger.warning("Rate-limit cache unavailable; the submission was not counted", exc_info=True)
        return 0
