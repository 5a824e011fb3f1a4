"""An anonymous per-address rate limit for submissions, held only in the cache.

Abuse control without identity (README "Privacy"): the client address is never stored
or logged. It only feeds an HMAC (keyed with SECRET_KEY) together with the scope and
the current hour, and that digest names a counter in the cache that expires with the
hour. Neither the cache key nor its value contains the address, and two hours' keys of
the same address cannot be linked without the secret.

Usage, for any channel (resident form, API):

    if rate_limit_exceeded(request, scope="survey"):
        ...answer 429...
    response, created = response_submit(...)
    if created:
        rate_limit_count(request, scope="survey")   # count successful submissions only
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

HOUR = 3600
_KEY_SALT = "surveys.ratelimit"


def client_address(request) -> str:
    """The address of the client, seen through `TRUSTED_PROXY_COUNT` reverse proxies.

    Behind N proxies that each append to X-Forwarded-For, the client is the N-th entry
    from the right; anything further left was written by the client and can be forged.
    """
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _bucket(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // HOUR)


def rate_limit_key(request, *, scope: str = "survey", now: float | None = None) -> str:
    """The cache key of this client's counter for the current hour: a digest, no address."""
    bucket = _bucket(now)
    digest = salted_hmac(_KEY_SALT, f"{scope}|{bucket}|{client_address(request)}", algorithm="sha256").hexdigest()
    return f"ratelimit:{scope}:{bucket}:{digest[:40]}"


def rate_limit_limit() -> int:
    """Successful submissions allowed per client address per hour (settings.SURVEY_RATE_LIMIT)."""
    return getattr(settings, "SURVEY_RATE_LIMIT", 20)


def rate_limit_used(request, *, scope: str = "survey", now: float | None = None) -> int:
    return cache.get(rate_limit_key(request, scope=scope, now=now), 0)


def rate_limit_exceeded(request, *, scope: str = "survey", now: float | None = None) -> bool:
    """True when this client already made `SURVEY_RATE_LIMIT` counted submissions this hour.

    A limit of 0 or less switches the limit off.
    """
    limit = rate_limit_limit()
    return limit > 0 and rate_limit_used(request, scope=scope, now=now) >= limit


def rate_limit_count(request, *, scope: str = "survey", now: float | None = None) -> int:
    """Count one successful submission for this client in the current hour; returns the new count."""
    now = time.time() if now is None else now
    key = rate_limit_key(request, scope=scope, now=now)
    # The counter lives until the end of its hour (plus a minute of clock slack).
    timeout = HOUR - int(now % HOUR) + 60
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): start the count again.
        cache.set(key, 1, timeout)
        return 1
