"""What a report request and an aggregates call cost on the web side, at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports_100k \\
        /work/main/.venv/bin/python bench/report_requests.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports \\
        /work/main/.venv/bin/python bench/report_requests.py

Reads a database seeded by `bench/seed.py` and times, for the last wave: the input
fingerprint (POST /api/v1/reports/ computes it to see whether the wave's latest snapshot is
current), and the figures of GET /api/v1/aggregates/ read from that snapshot (METHOD.md
§4.10: never computed per request). It writes nothing, unless the wave has no snapshot yet:
then it makes one first (and times it). Each figure is the median of --runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetysurvey.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.contrib.auth.models import User

    from reports import rendering, services, snapshots
    from reports.models import Snapshot
    from surveys.models import Response, Wave

    wave = Wave.objects.order_by("-starts_on").first()
    rendering.code_version()  # import the rendering stack before timing anything
    rows = []
    if snapshots.latest_snapshot(wave, with_results=False) is None:
        start = time.perf_counter()
        snapshots.snapshot_make(wave=wave, trigger=Snapshot.Trigger.ANALYST)
        rows.append(("the first snapshot of the wave (made once)", time.perf_counter() - start))
    reader = User(username="bench-reader", is_superuser=True)  # never saved: sees every district
    rows += [
        ("input fingerprint", timed(lambda: services.input_fingerprint(scope="region", wave=wave), args.runs)),
        ("aggregates, every district and the region", timed(lambda: services.aggregates_for(user=reader, wave=wave),
                                                            args.runs)),
    ]
    print(f"{Response.objects.count():,} responses, wave {wave.code}, median of {args.runs}")
    for label, seconds in rows:
        print(f"  {label:<48} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
