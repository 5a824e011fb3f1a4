"""The analytics of one wave straight from PostgreSQL: load_frame + wave_figures.

    /work/main/.venv/bin/python bench/seed.py --responses 1000000 --database bench_reports
    /work/main/.venv/bin/python bench/aggregate.py --database bench_reports
    /work/main/.venv/bin/python bench/aggregate.py --database bench_reports_100k

Reads the wave and the one before it (for the change figures) with reports.data.load_frame,
then computes every figure of the wave for the region and all districts with
reports.aggregation.wave_figures (weighted by raking, with intervals, key drivers,
victimisation, places, channels and suppression), and prints each step's time, the peak
resident memory of the process (getrusage; it includes Python, Django and the libraries)
and, for scale, a plain pandas groupby of the same data already in memory (means, standard
deviations and counts of the same columns by district): the ratio says what the real
statistics cost over the simplest possible summary.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="bench_reports")
    parser.add_argument("--wave", default="2023")
    parser.add_argument("--previous", default="2021")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tracemalloc", action="store_true", help="also report Python-level peak allocations")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetysurvey.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.db import connection

    from reports.aggregation import wave_figures
    from reports.data import load_frame, population
    from reports.rendering import input_fingerprint

    connection.ensure_connection()
    rss_start = _rss_mb()
    pop = population()
    loads, figures, groupbys = [], [], []
    for attempt in range(args.repeat):
        if args.tracemalloc and attempt == args.repeat - 1:
            import tracemalloc

            tracemalloc.start()
        t0 = time.perf_counter()
        frame = load_frame(waves=[args.wave, args.previous], detail_waves=[args.wave])
        t1 = time.perf_counter()
        result = wave_figures(frame, pop, args.wave, args.previous, weighted=True)
        t2 = time.perf_counter()
        loads.append(t1 - t0)
        figures.append(t2 - t1)
        # The plain summary of the same rows, already in memory.
        wave_rows = frame[frame["wave"] == args.wave]
        numeric = [c for c in wave_rows.columns if c not in ("wave", "district", "channel", "unsafe_bus_route")]
        t3 = time.perf_counter()
        wave_rows.groupby("district")[numeric].agg(["mean", "std", "count"])
        groupbys.append(time.perf_counter() - t3)
        rows, wave_n = len(frame), len(wave_rows)
        del frame, wave_rows
    traced = None
    if args.tracemalloc:
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

    t0 = time.perf_counter()
    input_fingerprint(scope="region", wave=args.wave)
    fingerprint = time.perf_counter() - t0
    load, fig, group = min(loads), min(figures), min(groupbys)
    total = load + fig
    districts = result["districts"]
    print(f"database {args.database}: {rows:,} rows read (wave {args.wave}: {wave_n:,}; previous {args.previous})")
    print(f"  load_frame        {load:6.2f} s   (median {statistics.median(loads):.2f})")
    print(f"  wave_figures      {fig:6.2f} s   (median {statistics.median(figures):.2f})")
    print(f"  together          {total:6.2f} s")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  pandas groupby    {group:6.3f} s   ratio {total / group:,.0f}x (wave_figures alone {fig / group:,.0f}x)")
    print(f"  input_fingerprint {fingerprint:6.2f} s   (what a report request costs before any job runs)")
    print(f"  peak RSS          {_rss_mb():6.0f} MB  (after Django setup {rss_start:.0f} MB)")
    if traced is not None:
        print(f"  tracemalloc peak  {traced:6.0f} MB  (last repeat, Python and numpy allocations)")
    region = result["region"]["weighted"]
    print(
        f"  region: n={result['region']['n']:,} index={region['index']['value']:.1f} "
        f"({region['index']['low']:.1f}–{region['index']['high']:.1f}), SDG={region['sdg']['value']:.3f}, "
        f"{len(districts)} districts, {len(region['drivers'])} drivers"
    )


if __name__ == "__main__":
    main()
