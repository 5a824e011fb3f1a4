"""An anonymous per-address rate limit for submissions, held only in the cache.

Abuse control without identity (README "Privacy"): the client address is never stored
or logged. It only feeds an HMAC (keyed with SECRET_KEY) together with the scope and
the current hour, and that digest names a counter in the cache that expires with the
hour. Neither the cache key nor its value contains the address, and two hours' keys of
the same address cannot be linked without the secret. IPv6 addresses count by their /64
network, the block one household or phone is usually given. If the cache is down, the
limit fails open (submissions go through uncounted) and a warning without the address is
logged once per process until the cache answers again (safetysurvey/outages.py):
residents' answers never depend on the cache.

Usage, for any channel (the resident form and the API both do this):

    if not rate_limit_take(request, scope="survey", now=now):
        ...answer 429...
    created = False
    try:
        response, created = response_submit(...)
    finally:
        if not created:
            rate_limit_give_back(request, scope="survey", now=now)   # only stored responses count

One cache round trip on the way in, and requests racing at the limit cannot all pass it:
`rate_limit_exceeded` then `rate_limit_count` after storing lets every request that checked
before the first one counted through (issue 9: 21 stored against a limit of 20).
"""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from safetysurvey.outages import CACHE

# What residents get while the cache is down (the warning of safetysurvey/outages.py says it).
FAILING_OPEN = "the submission rate limit lets every submission through, uncounted"

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


def _network(address: str) -> str:
    """The unit that is counted: the IPv4 address, or the /64 network of an IPv6 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _bucket(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // HOUR)


def rate_limit_key(request, *, scope: str = "survey", now: float | None = None) -> str:
    """The cache key of this client's counter for the current hour: a digest, no address."""
    bucket = _bucket(now)
    network = _network(client_address(request))
    digest = salted_hmac(_KEY_SALT, f"{scope}|{bucket}|{network}", algorithm="sha256").hexdigest()
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
    if limit <= 0:
        return False
    try:
        used = rate_limit_used(request, scope=scope, now=now)
    except Exception as error:  # the cache backend's own errors differ (Redis, Memcached, ...)
        CACHE.failed(error, FAILING_OPEN)
        return False
    CACHE.answered()
    return used >= limit


def rate_limit_count(request, *, scope: str = "survey", now: float | None = None) -> int:
    """Count one successful submission for this client in the current hour; returns the new count."""
    if rate_limit_limit() <= 0:
        return 0
    now = time.time() if now is None else now
    key = rate_limit_key(request, scope=scope, now=now)
    # The counter lives until the end of its hour (plus a minute of clock slack), so it
    # cannot expire while its hour still asks for it.
    timeout = HOUR - int(now % HOUR) + 60
    try:
        # incr() first: after the hour's first submission the counter exists, and one
        # round trip is all it takes (safetysurvey/cache.py; BENCHMARKS.md, "Ingest").
        try:
            count = cache.incr(key)
        except ValueError:
            cache.add(key, 0, timeout)  # the hour's first; another process may win the add
            count = cache.incr(key)
    except Exception as error:
        CACHE.failed(error, FAILING_OPEN)
        return 0
    CACHE.answered()
    return count


def rate_limit_take(request, *, scope: str = "survey", now: float | None = None) -> bool:
    """Take one of the client's submissions of this hour in a single cache round trip.

    True when one was free: give it back with `rate_limit_give_back` unless a response was
    stored. False when the limit is reached (nothing is kept). For hot paths (the API):
    `rate_limit_exceeded` then `rate_limit_count` costs a round trip more, and two requests
    racing at the limit can both pass it.
    """
    limit = rate_limit_limit()
    if limit <= 0:
        return True
    count = rate_limit_count(request, scope=scope, now=now)
    if count > limit:
        rate_limit_give_back(request, scope=scope, now=now)
        return False
    return True  # also when the cache is down (count 0): the limit fails open


def rate_limit_give_back(request, *, scope: str = "survey", now: float | None = None) -> None:
    """Return a submission taken by `rate_limit_take` for a request that stored nothing."""
    if rate_limit_limit() <= 0:
        return
    try:
        cache.decr(rate_limit_key(request, scope=scope, now=now))
    except ValueError:
        pass  # the counter is gone (its hour ended): nothing to give back
    except Exception as error:
        CACHE.failed(error, FAILING_OPEN)


def rate_limit_retry_after(now: float | None = None) -> int:
    """Seconds until the current hour's counters start again (for a Retry-After header)."""
    now = time.time() if now is None else now
    return HOUR - int(now % HOUR)
