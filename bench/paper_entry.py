"""Benchmark: double-entered sheets per second through comparison and commit.

A batch of N sheets (default 10,000) gets its first entries by file import (volunteer A),
then its second entries by file import (volunteer B): 97% identical, 3% with one item
keyed differently. The TIMED step is the second import: every sheet is compared item by
item, the identical ones committed (responses bulk-inserted with their scores in one
transaction), the others sent to reconciliation. Goal: all 10,000 in under 10 s.

Runs in a throwaway test database (created and destroyed like Django's test runner):

    python bench/paper_entry.py                       # SQLite file in /tmp
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ss_paper python bench/paper_entry.py
    python bench/paper_entry.py --sheets 2000 --seed 7

Record the figures in BENCHMARKS.md ("Paper entry") with the machine and the command. On a
shared machine the wall time depends on the load; the process CPU time is printed beside it.
"""

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetysurvey.settings")
os.environ.setdefault("DEBUG", "1")


def random_answers(definition, rng: random.Random) -> dict:
    """A plausible valid sheet: every required question, most optional ones, follow-ups
    only where they apply."""
    from checklist.answers import is_shown

    answers: dict = {}
    for item in definition.items:
        if not is_shown(item, answers):
            continue
        if not item.required and rng.random() < 0.3:
            continue
        if item.has_options:
            choices = [option.value for option in item.options]
            answers[item.code] = rng.choice(choices) if item.kind != "multiple" else sorted(rng.sample(choices, 2))
        elif item.kind == "number":
            answers[item.code] = rng.randint(int(item.min_value or 0), int(item.max_value or 10))
        elif item.kind == "place":
            answers[item.code] = rng.choice(["12A", "1", "35", "102"])
        else:
            answers[item.code] = rng.choice(["рынок", "остановка у школы", "двор дома 5"])
    return answers


def one_typo(definition, answers: dict, rng: random.Random) -> dict:
    """The same sheet with one option keyed differently (still a valid value)."""
    filters = {item.show_if_item for item in definition.items}  # changing these would change what applies
    candidates = [
        item
        for item in definition.items
        if item.code in answers and item.has_options and item.kind != "multiple" and item.code not in filters
    ]
    item = rng.choice(candidates)
    others = [option.value for option in item.options if option.value != answers[item.code]]
    return {**answers, item.code: rng.choice(others)}


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load:.1f} at start"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--differing", type=float, default=0.03, help="share of sheets keyed differently")
    parser.add_argument("--profile", action="store_true", help="print where the timed step spends its time")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    settings.PAPER_BATCH_MAX_SHEETS = max(settings.PAPER_BATCH_MAX_SHEETS, args.sheets)
    if connection.vendor == "sqlite":
        # A file, not the in-memory default of tests: closer to a real server.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = "/tmp/paper-bench.sqlite3"
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args, connection, CaptureQueriesContext)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args, connection, CaptureQueriesContext) -> None:
    import datetime

    from django.contrib.auth.models import User

    from checklist.definition import definition_for
    from checklist.loading import checklist_load, districts_load
    from checklist.models import District
    from surveys.models import Response, Wave
    from surveys.paper_models import Sheet
    from surveys.paper_services import ImportRow, batch_create, paper_entries_import

    data = Path(__file__).resolve().parent.parent / "checklist" / "data"
    checklist = checklist_load(text=(data / "checklist-v1.yaml").read_text(encoding="utf-8"))
    districts_load(text=(data / "karaganda.yaml").read_text(encoding="utf-8"))
    wave = Wave.objects.create(code="2020", name="2020", starts_on=datetime.date(2020, 3, 1), is_open=True)
    district = District.objects.get(code="KRG-KZB")
    first_keyer = User.objects.create_user("bench_a")
    second_keyer = User.objects.create_user("bench_b")
    definition = definition_for(checklist)
    rng = random.Random(args.seed)

    started = time.perf_counter()
    batch = batch_create(
        district=district, wave=wave, language="ru", size=args.sheets, created_by=first_keyer, render_pdf=False
    )
    serials = list(batch.sheets.order_by("number").values_list("serial", flat=True))
    created = time.perf_counter() - started

    firsts = [random_answers(definition, rng) for _ in serials]
    seconds = [one_typo(definition, a, rng) if rng.random() < args.differing else dict(a) for a in firsts]
    rows_1 = [ImportRow(row=i + 2, serial=s, answers=a) for i, (s, a) in enumerate(zip(serials, firsts, strict=True))]
    rows_2 = [ImportRow(row=i + 2, serial=s, answers=a) for i, (s, a) in enumerate(zip(serials, seconds, strict=True))]

    started = time.perf_counter()
    paper_entries_import(batch=batch, user=first_keyer, rows=rows_1)
    first_pass = time.perf_counter() - started

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        outcome = paper_entries_import(batch=batch, user=second_keyer, rows=rows_2)
        second_pass, second_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(30)

    committed = Response.objects.filter(channel=Response.Channel.PAPER).count()
    assert outcome.committed == committed == Sheet.objects.filter(status=Sheet.Status.COMMITTED).count()
    assert outcome.committed + outcome.conflicts == args.sheets
    assert Sheet.objects.filter(items_compared__isnull=True).count() == 0
    vendor = connection.vendor
    if vendor == "postgresql":
        version = connection.pg_version
    else:
        version = connection.Database.sqlite_version

    print(f"database            {vendor} {version}")
    print(f"machine             {machine()}")
    print(f"sheets              {args.sheets:,} ({len(definition.items)} items each)")
    print(f"batch created in    {created:.2f} s (numbering and serials)")
    print(f"first entries       {first_pass:.2f} s  ({args.sheets / first_pass:,.0f} sheets/s, import of entry 1)")
    print(
        f"second entries      {second_pass:.2f} s  ({args.sheets / second_pass:,.0f} sheets/s: compared, "
        f"{outcome.committed:,} committed, {outcome.conflicts:,} to reconciliation; {len(queries)} queries)"
    )
    where = "all work in this process" if vendor == "sqlite" else "excludes the database server's own work"
    print(f"  of which CPU      {second_cpu:.2f} s of this Python process ({where})")
    verdict = "met" if second_pass < 10 else "NOT met"
    print(f"goal                all {args.sheets:,} compared and committed in < 10 s: {verdict}")


if __name__ == "__main__":
    main()
