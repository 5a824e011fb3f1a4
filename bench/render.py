"""Time the reports: one district PDF and the region report with every district.

    # pilot-sized data (6,500 responses over 3 waves, like the real survey), SQLite:
    export DATABASE_URL=sqlite:////tmp/bench_render.sqlite3 DEBUG=1
    /work/main/.venv/bin/python manage.py migrate && /work/main/.venv/bin/python manage.py seed_demo --responses 6500
    /work/main/.venv/bin/python bench/render.py --sqlite /tmp/bench_render.sqlite3 --wave 2020
    # or a PostgreSQL database seeded by bench/seed.py:
    /work/main/.venv/bin/python bench/render.py --database bench_reports_100k --wave 2023

For each report it prints the wall time and the CPU time of this process (the machine is
shared: CPU time says what the work costs, wall time what a user waited), split into the
figures (load_frame, wave_figures, trend), the page (context, charts, template) and the
PDF (WeasyPrint), plus the number of pages.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Clock:
    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        out = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", help="a PostgreSQL database on 127.0.0.1 (e.g. bench_reports_100k)")
    where.add_argument("--sqlite", help="a SQLite file")
    parser.add_argument("--wave", required=True)
    parser.add_argument("--district", default="KRG-KZB")
    parser.add_argument("--language", default="ru")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = (
        f"postgres://postgres@127.0.0.1:5432/{args.database}" if args.database else f"sqlite:///{args.sqlite}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetysurvey.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.template.loader import render_to_string
    from django.utils.translation import override
    from pypdf import PdfReader

    from reports import rendering
    from reports.figures import wave_results
    from surveys.models import Response

    count = Response.objects.filter(wave__code=args.wave, is_void=False).count()
    print(f"{count:,} responses in wave {args.wave}; {Response.objects.count():,} in all; language {args.language}")
    rendering.html_to_pdf("<p>warm up</p>")  # fonts and WeasyPrint's own start-up, once per worker
    for scope in (args.district, "region"):
        best = None
        for _ in range(args.repeat):
            clock = Clock()
            with override(args.language):
                results = wave_results(args.wave)
                figures = clock.lap()
                context = rendering._context(results, scope, args.language, lambda p: None)
                html = render_to_string("reports/report.html", context)
                page = clock.lap()
            pdf = rendering.html_to_pdf(html)
            printing = clock.lap()
            total = tuple(a + b + c for a, b, c in zip(figures, page, printing, strict=True))
            if best is None or total[0] < best[0][0]:
                best = (total, figures, page, printing, len(PdfReader(io.BytesIO(pdf)).pages), len(html))
        total, figures, page, printing, pages, size = best
        print(
            f"{scope:>8}: {total[0]:5.2f} s wall, {total[1]:5.2f} s CPU — figures {figures[0]:.2f}/{figures[1]:.2f}, "
            f"page+charts {page[0]:.2f}/{page[1]:.2f}, PDF {printing[0]:.2f}/{printing[1]:.2f} "
            f"(wall/CPU); {pages} pages, HTML {size / 1e6:.1f} MB"
        )
    # The nightly run: the region report, then each district's from the same figures.
    clock = Clock()
    rendering.render_report(scope="region", wave=args.wave, language=args.language, formats=["pdf"])
    region = clock.lap()
    rendering.render_report(scope=args.district, wave=args.wave, language=args.language, formats=["pdf"])
    district = clock.lap()
    print(
        f"render_report: region PDF {region[0]:.2f} s wall ({region[1]:.2f} CPU), then {args.district} PDF "
        f"{district[0]:.2f} s wall ({district[1]:.2f} CPU) with the figures cached in this worker"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
