"""What a submission needs to know about the present, read briefly from a per-process cache.

Every online response needs the published checklist, the open wave and its district. They
change a few times a year (an admin opens a wave, publishes a version, loads districts),
so each web process keeps them for a few seconds instead of asking the database on every
request: the ingest benchmark (BENCHMARKS.md) needs the POST to cost only its INSERT.

A save or delete in this process forgets them at once (signals below); other processes
see the change within the time to live. Consequence, documented in docs/api.md: a wave
closed in the admin may take up to CURRENT_TTL_SECONDS to stop taking responses.
"""

import threading
import time
from collections.abc import Callable

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from checklist.models import Checklist, District

from .models import Wave

CURRENT_TTL_SECONDS = 5.0
DISTRICTS_TTL_SECONDS = 60.0


class _Expiring:
    """A value recomputed when older than `ttl` seconds; thread-safe enough for gthread workers
    (two threads may both recompute once; neither sees a half-built value)."""

    def __init__(self, compute: Callable, ttl: float):
        self.compute, self.ttl = compute, ttl
        self._value, self._at = None, float("-inf")
        self._lock = threading.Lock()

    def get(self):
        now = time.monotonic()
        if now - self._at > self.ttl:
            value = self.compute()
            with self._lock:
                self._value, self._at = value, now
            return value
        return self._value

    def clear(self):
        with self._lock:
            self._value, self._at = None, float("-inf")


def _read_current() -> tuple[Checklist | None, Wave | None]:
    return Checklist.current(), Wave.current()


def _read_districts() -> dict[str, District]:
    # Children prefetched: District.takes_responses then costs no query.
    return {district.code: district for district in District.objects.prefetch_related("children")}


_current = _Expiring(_read_current, CURRENT_TTL_SECONDS)
_districts = _Expiring(_read_districts, DISTRICTS_TTL_SECONDS)


def current_checklist_and_wave() -> tuple[Checklist | None, Wave | None]:
    """The newest published checklist and the open wave (either may be None)."""
    return _current.get()


def district_by_code(code: str, *, any_case: bool = False) -> District | None:
    """A district by its code, with its children prefetched; None when there is none. With
    `any_case`, a code typed in other letters (krg-kzb) finds it too."""
    districts = _districts.get()
    district = districts.get(code)
    if district is None and any_case:
        folded = code.casefold()
        district = next((one for key, one in districts.items() if key.casefold() == folded), None)
    return district


def clear() -> None:
    """Forget everything (tests; and any save below)."""
    _current.clear()
    _districts.clear()


@receiver([post_save, post_delete], sender=Checklist, dispatch_uid="surveys.current.checklist")
@receiver([post_save, post_delete], sender=Wave, dispatch_uid="surveys.current.wave")
def _forget_current(**kwargs):
    _current.clear()


@receiver([post_save, post_delete], sender=District, dispatch_uid="surveys.current.district")
def _forget_districts(**kwargs):
    _districts.clear()
