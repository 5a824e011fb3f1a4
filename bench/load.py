#!/usr/bin/env python
"""Load benchmark: a survey campaign's peak on gunicorn + PostgreSQL + Redis + Celery (issue 5).

Sets up, on 127.0.0.1 and bounded in time, the stack as production runs it, then lets
locust (headless, in a process of its own: gevent never enters Django's processes) play
the people of a campaign's peak for --duration seconds with --users concurrent users:

- its own PostgreSQL database (BENCH_DATABASE_URL, default bench_load: dropped, created,
  migrated), with checklist v1, the Karaganda districts, three waves (2023 open) and
  --seed-responses earlier responses for the reports (bench/seed.py); volunteers in pairs,
  each pair assigned a district with a batch of numbered sheets to key (surveys.paper_services),
  a coordinator who made the batches, analysts;
- static files collected with their manifest (what `{% static %}` needs with DEBUG off);
- gunicorn with safetysurvey/gunicorn.conf.py (2 workers, its access log to a file),
  DEBUG=0, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, CACHE_URL and CELERY_BROKER_URL on
  Redis (--redis, default DB 5) with a key prefix and a queue of this run's own, and
  SURVEY_RATE_LIMIT raised so that the per-address limit never trips: every simulated
  resident comes from 127.0.0.1, which production would count as one person;
- one Celery worker (solo pool) that makes the analysts' reports.

The people (bench/load_locustfile.py): residents who open /survey/<district>/, the
checklist page and submit it (CSRF token and one-time client_id parsed from the page), and
residents who answer through POST /api/v1/responses/ with a client_id (some send the same
response again, as an app retrying would: 200, nothing new stored); volunteers who log in
and key sheets, first and second entries by the two volunteers of a pair, so sheets commit
(and a few go to reconciliation); analysts who log in, request a district report, poll its
progress until it is done, download its HTML and go back to /reports/.

At the end: requests, req/s, p50/p95/p99/max and failures per endpoint, 5xx (seen by the
load tool and in gunicorn's access log), the report jobs, the CPU time of each process, and
the count check: every form submission answered by the thank-you redirect and every 201 of
the API is exactly one new row in surveys' Response table (looked up by its client_id), no
new row is unaccounted for, and the sheets committed, in conflict and keyed once match what
the volunteers were told. Exit status 1 on any 5xx or a failed count check.

    python bench/load.py                              # the recorded run: 120 s, 100 users
    python bench/load.py --duration 20 --users 30 --think-scale 0.5   # as CI (tests/ops/test_load_short.py)
"""

import argparse
import datetime
import json
import os
import random
import re
import resource
import runpy
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import stack  # bench/stack.py: this script's folder is first on sys.path

ROOT = stack.ROOT
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
LOCUSTFILE = ROOT / "bench" / "load_locustfile.py"
PASSWORD = "bench-load-" + secrets.token_urlsafe(12)
# Variables of the caller (a test run, a developer's shell) that a production process never has.
DROPPED = ("PYTEST_VERSION", "DEBUG", "HTTPS", "LOG_FORMAT", "MEDIA_STORAGE", "DJANGO_ALLOW_ASYNC_UNSAFE",
           "CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY", "ALLOWED_HOSTS")  # fmt: skip
GOAL_P95_MS = 200
STOP_TIMEOUT = 30  # seconds a user may take to finish its step when the run ends

# --------------------------------------------------------------------------- set-up


def people(users: int) -> dict:
    """How many of each: volunteers in pairs (about 8%), analysts (about 2%), residents the rest."""
    volunteers = max(2, 2 * round(users * 0.04))
    analysts = max(1, round(users * 0.02))
    return {"volunteer": volunteers, "analyst": analysts, "residents": max(1, users - volunteers - analysts)}


def database_fill(args, fixed: dict) -> dict:
    """Migrate, seed, make the people and the batches; return the plan the locust file reads."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import seed as seeding  # bench/seed.py: checklist, districts, waves 2019/2021/2023 and responses

    seeding.seed(args.seed_responses, args.seed)

    from checklist.definition import definition_for
    from checklist.models import Checklist, District
    from surveys import roles
    from surveys.models import Assignment, Wave
    from surveys.paper_answers import keyed_text
    from surveys.paper_services import batch_create

    checklist = Checklist.current()
    definition = definition_for(checklist)
    wave = Wave.current()
    districts = [d for d in District.objects.prefetch_related("children").order_by("code") if d.takes_responses]
    roles.ensure_groups()
    # One password hash for everyone: hashing is slow by design, and once is enough here.
    password = make_password(PASSWORD)

    def person(username: str, role: str) -> User:
        user = User.objects.create(username=username, password=password)
        user.groups.add(Group.objects.get(name=role))
        return user

    pairs = fixed["volunteer"] // 2
    coordinator = person("coordinator", roles.COORDINATOR)
    plan_pairs, volunteers = [], []
    for pair, district in zip(range(pairs), districts * (pairs // len(districts) + 1), strict=False):
        Assignment.objects.get_or_create(user=coordinator, district=district)
        batch = batch_create(district=district, wave=wave, language="ru", size=args.sheets, created_by=coordinator,
                             render_pdf=False)  # fmt: skip
        plan_pairs.append({"district": district.code,
                           "serials": list(batch.sheets.order_by("number").values_list("serial", flat=True))})
        for member in (1, 2):
            username = f"volunteer{pair + 1:02d}{'ab'[member - 1]}"
            Assignment.objects.create(user=person(username, roles.VOLUNTEER), district=district)
            volunteers.append({"username": username, "pair": pair})
    analysts = [person(f"analyst{number + 1}", roles.ANALYST).username for number in range(fixed["analyst"])]

    rng = random.Random(args.seed)
    api_answers, form_answers, keyed, alternatives = [], [], [], []
    # Likert items no follow-up depends on: keying one of them differently makes a conflict,
    # never a validation error.
    parents = {item.show_if_item for item in definition.items if item.show_if_item}
    switchable = [item for item in definition.items if item.kind == "likert" and item.code not in parents]
    for _ in range(400):
        answers = stack.answers_random(definition, rng)
        api_answers.append(answers)
        form_answers.append([(code, str(one)) for code, value in answers.items()
                             for one in (value if isinstance(value, list) else [value])])  # fmt: skip
        keyed.append({item.code: keyed_text(item, answers.get(item.code)) for item in definition.items
                      if item.code in answers})  # fmt: skip
        item = rng.choice([item for item in switchable if item.code in answers])
        other = rng.choice([o.value for o in item.options if o.value != answers[item.code]])
        alternatives.append([item.code, str(other)])
    return {
        "seed": args.seed,
        "think_scale": args.think_scale,
        "password": PASSWORD,
        "districts": [d.code for d in districts],
        "wave": wave.code,
        "weights": {"resident": 85, "app_resident": 15},
        "fixed": {"volunteer": fixed["volunteer"], "analyst": fixed["analyst"]},
        "volunteers": volunteers,
        "pairs": plan_pairs,
        "analysts": analysts,
        "api_answers": api_answers,
        "form_answers": form_answers,
        "keyed": keyed,
        "keyed_alternatives": alternatives,
        "staff_arrival_seconds": min(30.0, args.duration / 4),
        "api_retry_share": 0.05,
        "conflict_share": 0.05,
    }


def static_collect() -> None:
    """collectstatic with the manifest the production storage reads, but without whitenoise's
    compression (a minute of CPU that changes no page): as tests/ops/conftest.py does."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    manifest_only = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": manifest_only}):
        call_command("collectstatic", interactive=False, verbosity=0)


def database_counts() -> dict:
    from django.db import connection

    from surveys.models import Response
    from surveys.paper_models import Sheet

    counts = {
        "online": Response.objects.filter(channel=Response.Channel.ONLINE).count(),
        "paper": Response.objects.filter(channel=Response.Channel.PAPER).count(),
        **{f"sheets_{status}": Sheet.objects.filter(status=status).count() for status in Sheet.Status.values},
        "sheets_with_response": Sheet.objects.filter(response__isnull=False).count(),
    }
    connection.close()
    return counts


def stored_client_ids(client_ids: list[str]) -> int:
    """How many rows hold these client ids (each at most once: the column is unique)."""
    from django.db import connection

    from surveys.models import Response

    stored = 0
    for start in range(0, len(client_ids), 5000):
        stored += Response.objects.filter(client_id__in=client_ids[start:start + 5000]).count()
    connection.close()
    return stored


# --------------------------------------------------------------------------- processes


def celery_ready(worker: subprocess.Popen, log: Path, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            return False
        if log.exists() and re.search(r"\bready\.", log.read_text(errors="replace")):
            return True
        time.sleep(0.3)
    return False


def redis_forget(url: str, prefix: str) -> None:
    """Delete this run's broker keys (never anything else in a shared Redis database)."""
    try:
        import redis

        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
    except Exception as error:  # cleaning up must not hide the result
        print(f"could not delete the broker keys {prefix}*: {error}")


def access_log_statuses(log: Path) -> Counter:
    """Status codes in gunicorn's access log (safetysurvey/gunicorn.conf.py's format)."""
    statuses: Counter = Counter()
    if log.exists():
        for match in re.finditer(r'^\[[^\]]+\] "([^"]*)" (\d{3}) ', log.read_text(errors="replace"), re.MULTILINE):
            if not match.group(1).startswith("GET /healthz "):  # this script's readiness probes
                statuses[int(match.group(2))] += 1
    return statuses


# --------------------------------------------------------------------------- figures


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return 0.0
    rank = max(1, int(round(share * len(ordered) + 0.5 - 1e-9)))
    return ordered[min(len(ordered), rank) - 1]


def endpoint_rows(requests: dict, seconds: float) -> list[dict]:
    rows = []
    every: list[float] = []
    totals = Counter()
    for name in sorted(requests, key=lambda n: (n.split(" ", 1)[1], n)):
        entry = requests[name]
        times = sorted(entry["times"])
        every.extend(times)
        statuses = Counter({int(code): count for code, count in entry["statuses"].items()})
        totals.update(statuses)
        rows.append(row(name, times, statuses, sum(entry["errors"].values()), seconds, entry["errors"]))
    every.sort()
    failures = sum(r["failures"] for r in rows)
    rows.append(row("all requests", every, totals, failures, seconds, {}))
    return rows


def row(name: str, times: list[float], statuses: Counter, failures: int, seconds: float, errors: dict) -> dict:
    return {
        "endpoint": name, "requests": len(times), "rps": len(times) / seconds if seconds else 0.0,
        "p50": percentile(times, 0.50), "p95": percentile(times, 0.95), "p99": percentile(times, 0.99),
        "max": times[-1] if times else 0.0, "failures": failures,
        "5xx": sum(count for code, count in statuses.items() if code >= 500),
        "statuses": dict(sorted(statuses.items())), "errors": errors,
    }  # fmt: skip


def windows(requests: dict, seconds: float, width: float = 10) -> list[dict]:
    """All requests by the time they finished, `width` seconds at a time: the ramp-up, the
    staff's logins and the steady state apart."""
    samples = sorted((at, ms) for entry in requests.values() for at, ms in zip(entry["at"], entry["times"],
                                                                                strict=True))  # fmt: skip
    rows, start = [], 0.0
    while start < seconds:
        times = sorted(ms for at, ms in samples if start <= at < start + width)
        rows.append({"from": start, "to": min(seconds, start + width), "requests": len(times),
                     "p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "p99": percentile(times, 0.99)})
        start += width
    return rows


def report_intervals(started: float) -> list[tuple[float, float]]:
    """When the Celery worker was making a report, in seconds into the run (from the jobs' rows)."""
    from django.db import connection

    from reports.models import ReportJob

    intervals = [(job.started_at.timestamp() - started, job.finished_at.timestamp() - started)
                 for job in ReportJob.objects.filter(started_at__isnull=False, finished_at__isnull=False)]  # fmt: skip
    connection.close()
    return intervals


def tail_causes(requests: dict, reports: list[tuple[float, float]]) -> list[dict]:
    """Where the slow requests come from: every request but the logins, by what else was going on
    while it was served (a login's deliberate half second of password hashing in a worker; the
    Celery worker making a report on the same two cores; neither)."""
    logins = [(at - ms / 1000, at) for at, ms in zip(requests.get("POST /accounts/login/", {}).get("at", []),
                                                     requests.get("POST /accounts/login/", {}).get("times", []),
                                                     strict=True)]  # fmt: skip
    groups: dict[str, list[float]] = {"a login in flight": [], "a report being made (no login)": [], "neither": []}
    for name, entry in requests.items():
        if "/accounts/login/" in name:
            continue
        for at, ms in zip(entry["at"], entry["times"], strict=True):
            begun = at - ms / 1000
            if any(start < at and begun < end for start, end in logins):
                groups["a login in flight"].append(ms)
            elif any(start < at and begun < end for start, end in reports):
                groups["a report being made (no login)"].append(ms)
            else:
                groups["neither"].append(ms)
    return [{"while": key, "requests": len(times), "p50": percentile(sorted(times), 0.5),
             "p95": percentile(sorted(times), 0.95), "p99": percentile(sorted(times), 0.99)}
            for key, times in groups.items()]  # fmt: skip


def count_check(outcomes: dict, before: dict, after: dict) -> tuple[bool, list[str]]:
    """Every answered submission is one row; no row without a submission; the sheets add up."""
    lines, ok = [], True
    confirmed = outcomes["form_stored"] + outcomes["api_created"]
    stored = stored_client_ids(confirmed)
    new_online = after["online"] - before["online"]
    attempts = outcomes["form_attempts"] + outcomes["api_attempts"]
    unanswered = attempts - len(confirmed)  # refused, failed, or never answered (the run ended)
    exact = stored == len(confirmed) == len(set(confirmed))
    unaccounted = new_online - stored
    online_ok = exact and 0 <= unaccounted <= max(0, unanswered)
    ok &= online_ok
    lines.append(
        f"online: {len(outcomes['form_stored'])} form submissions answered by the thank-you page + "
        f"{len(outcomes['api_created'])} API 201s = {len(confirmed)}; rows with their client ids: {stored}; "
        f"new online rows: {new_online} ({unaccounted} more, from {unanswered} submissions not answered as "
        f"stored): {'ok' if online_ok else 'MISMATCH'}"
    )
    retries_ok = outcomes["api_retries_ok"] == outcomes["api_retries"]
    ok &= retries_ok
    lines.append(f"API retries with the same client_id: {outcomes['api_retries']}, answered 200 (nothing new "
                 f"stored): {outcomes['api_retries_ok']}: {'ok' if retries_ok else 'MISMATCH'}")  # fmt: skip
    committed = after["sheets_committed"] - before["sheets_committed"]
    conflict = after["sheets_conflict"] - before["sheets_conflict"]
    once = after["sheets_entered_once"] - before["sheets_entered_once"]
    new_paper = after["paper"] - before["paper"]
    linked = after["sheets_with_response"] - before["sheets_with_response"]
    seconds_ok = outcomes["paper_commit"] + outcomes["paper_conflict"]
    expected_once = outcomes["paper_first"] - seconds_ok
    unanswered_paper = outcomes["paper_attempts"] - outcomes["paper_first"] - seconds_ok
    paper_ok = (
        committed == new_paper == linked
        and outcomes["paper_commit"] <= committed <= outcomes["paper_commit"] + unanswered_paper
        and outcomes["paper_conflict"] <= conflict <= outcomes["paper_conflict"] + unanswered_paper
        and abs(once - expected_once) <= unanswered_paper
    )
    ok &= paper_ok
    lines.append(
        f"paper: {outcomes['paper_first']} first entries, {outcomes['paper_commit']} identical second entries, "
        f"{outcomes['paper_conflict']} with a difference; sheets committed {committed}, in conflict {conflict}, "
        f"keyed once {once}; new paper rows {new_paper}, sheets linked to one {linked} "
        f"({unanswered_paper} entries not answered): {'ok' if paper_ok else 'MISMATCH'}"
    )
    return ok, lines


def print_table(rows: list[dict]) -> None:
    print(f"{'endpoint':<40}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>9}"
          f"{'fail':>6}{'5xx':>5}")  # fmt: skip
    for r in rows:
        if r["endpoint"] == "all requests":
            print("-" * 101)
        print(f"{r['endpoint']:<40}{r['requests']:>9}{r['rps']:>8.1f}{r['p50']:>8.0f}{r['p95']:>8.0f}"
              f"{r['p99']:>8.0f}{r['max']:>9.0f}{r['failures']:>6}{r['5xx']:>5}")  # fmt: skip


# --------------------------------------------------------------------------- main


def main() -> int:
    args = arguments()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        return run(args, database_url)
    finally:
        if args.drop_database:
            stack.database_drop(database_url)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    parser.add_argument("--users", type=int, default=100, help="concurrent users (default 100)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--think-scale", type=float, default=1.0, help="multiply every think time by this")
    parser.add_argument("--seed-responses", type=int, default=20000, help="responses in the database beforehand")
    parser.add_argument("--sheets", type=int, default=300, help="sheets in each volunteer pair's batch")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--worker-class", default="", help="gunicorn worker class (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, default=0, help="threads per gthread worker")
    parser.add_argument("--redis", default=DEFAULT_REDIS_URL, help="Redis for the cache and the broker")
    parser.add_argument("--rate-limit", type=int, default=10**9, help="SURVEY_RATE_LIMIT of the server")
    parser.add_argument("--keep", metavar="DIR", help="keep the logs, the plan and locust's CSV files here")
    parser.add_argument("--json", metavar="FILE", help="write the figures and the checks to this file")
    parser.add_argument("--drop-database", action="store_true", help="drop the benchmark database at the end")
    return parser.parse_args()


def run(args: argparse.Namespace, database_url: str) -> int:
    tag = uuid.uuid4().hex[:10]
    workdir = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="bench-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    broker_prefix = f"bench-load-{tag}:"
    env = {key: value for key, value in os.environ.items() if key not in DROPPED and not key.startswith("AWS_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "safetysurvey.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_URL": args.redis,
        "CELERY_BROKER_URL": args.redis,
        "CELERY_BROKER_KEY_PREFIX": broker_prefix,
        "CELERY_REPORTS_QUEUE": f"reports-{tag}",
        "SURVEY_RATE_LIMIT": str(args.rate_limit),
        "WEB_CONCURRENCY": str(args.workers),
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "REPORTS_ROOT": str(workdir / "reports"),
        "PYTHONPATH": str(ROOT),
    }
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    fixed = people(args.users)

    started = time.monotonic()
    print(f"Preparing {stack.database_name(database_url)} ...", flush=True)
    stack.database_recreate(database_url)
    plan = database_fill(args, fixed)
    static_collect()
    (workdir / "plan.json").write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    before = database_counts()
    print(f"prepared in {time.monotonic() - started:.0f} s", flush=True)

    port = stack.free_port()
    processes: list[subprocess.Popen] = []
    server = worker = locust = None
    results: dict = {}
    cpu: dict[str, float] = {}
    load_before = ""
    try:
        command = [sys.executable, "-m", "gunicorn", "-c", "safetysurvey/gunicorn.conf.py", "safetysurvey.wsgi",
                   "--bind", f"127.0.0.1:{port}"]  # fmt: skip
        if args.worker_class:
            command += ["--worker-class", args.worker_class]
        if args.threads:
            command += ["--threads", str(args.threads)]
        server = stack.process_start(command, env, workdir / "gunicorn.log")
        processes.append(server)
        worker = stack.process_start(
            [sys.executable, "-m", "celery", "-A", "safetysurvey", "worker", "--pool", "solo", "--concurrency", "1",
             "--queues", env["CELERY_REPORTS_QUEUE"], "--hostname", f"bench-load-{tag}@%h", "--without-mingle",
             "--without-gossip", "--without-heartbeat", "--loglevel", "INFO"],
            env, workdir / "celery.log",
        )  # fmt: skip
        processes.append(worker)
        if not stack.http_ready(port, "/healthz", server, timeout=60):
            raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {workdir / 'gunicorn.log'}")
        if not celery_ready(worker, workdir / "celery.log"):
            raise SystemExit(f"the Celery worker did not start within 60 s; see {workdir / 'celery.log'}")

        backends = stack.postgres_backends(database_url)
        cpu_before = {"gunicorn": stack.process_tree_cpu(server.pid), "celery": stack.process_tree_cpu(worker.pid),
                      "postgres": {pid: stack.processes_cpu([pid]) for pid in backends}}  # fmt: skip
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_before = stack.load_average()
        print(f"load average before the run: {load_before}; {args.users} users for {args.duration:g} s ...",
              flush=True)  # fmt: skip
        locust_env = env | {"LOAD_PLAN": str(workdir / "plan.json"), "LOAD_RESULTS": str(workdir / "results.json")}
        locust = stack.process_start(
            [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--users", str(args.users),
             "--spawn-rate", f"{args.spawn_rate:g}", "--run-time", f"{args.duration:g}s", "--host",
             f"http://127.0.0.1:{port}", "--csv", str(workdir / "locust"), "--only-summary", "--stop-timeout",
             str(STOP_TIMEOUT), "--loglevel", "WARNING", "--exit-code-on-error", "0"],
            locust_env, workdir / "locust.log",
        )  # fmt: skip
        processes.append(locust)
        try:
            locust.wait(timeout=args.duration + STOP_TIMEOUT + 60)
        except subprocess.TimeoutExpired:
            print("locust did not stop in time; stopping it")
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["locust"] = (children_after.ru_utime - children_before.ru_utime) + \
            (children_after.ru_stime - children_before.ru_stime)
        cpu["gunicorn"] = stack.process_tree_cpu(server.pid) - cpu_before["gunicorn"]
        cpu["celery"] = stack.process_tree_cpu(worker.pid) - cpu_before["celery"]
        cpu["postgres"] = sum(max(0.0, stack.processes_cpu([pid]) - cpu_before["postgres"].get(pid, 0.0))
                              for pid in set(backends) | set(stack.postgres_backends(database_url)))  # fmt: skip
        load_after = stack.load_average()
    finally:
        for process in reversed(processes):
            stack.process_stop(process)
        redis_forget(args.redis, broker_prefix)

    results_file = workdir / "results.json"
    if not results_file.exists():
        print(f"locust wrote no results; see {workdir / 'locust.log'}")
        return 1
    results = json.loads(results_file.read_text(encoding="utf-8"))
    after = database_counts()
    seconds = results["stopped"] - results["started"]
    rows = endpoint_rows(results["requests"], seconds)
    total = rows[-1]
    server_statuses = access_log_statuses(workdir / "gunicorn.log")
    server_5xx = sum(count for code, count in server_statuses.items() if code >= 500)
    check_ok, check_lines = count_check(results["outcomes"], before, after)
    outcomes = results["outcomes"]

    print()
    print(f"Load benchmark, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"Machine: {stack.machine()}; gunicorn, Celery, PostgreSQL, Redis and locust share it")
    print(f"Software: {stack.versions(database_url)}, locust {locust_version()}")
    conf = runpy.run_path(str(ROOT / "safetysurvey" / "gunicorn.conf.py"))
    worker_class = args.worker_class or conf.get("worker_class", "sync")
    threads = args.threads or conf.get("threads", 1)
    print(f"Server: gunicorn -c safetysurvey/gunicorn.conf.py, {args.workers} {worker_class} workers"
          + (f" x {threads} threads" if worker_class == "gthread" else "")
          + f"; one Celery worker (solo); rate limit {args.rate_limit}/hour (raised: every user is 127.0.0.1)")
    classes = results.get("users_by_class", {})
    print(f"Load: {args.users} users ({classes.get('Resident', '?')} residents on the web form, "
          f"{classes.get('AppResident', '?')} through the API, {classes.get('Volunteer', fixed['volunteer'])} "
          f"volunteers, {classes.get('Analyst', fixed['analyst'])} analysts), {args.spawn_rate:g}/s spawn, "
          f"{seconds:.0f} s, think time x{args.think_scale:g}")
    print(f"Load average: {load_before} before, {load_after} after (1, 5, 15 min)")
    print()
    print_table(rows)
    print()
    print("all requests by the time they finished: " + "; ".join(
        f"{w['from']:.0f}-{w['to']:.0f} s: {w['requests']} p50 {w['p50']:.0f} p95 {w['p95']:.0f} ms"
        for w in windows(results["requests"], seconds)))  # fmt: skip
    reports = report_intervals(results["started"])
    causes = tail_causes(results["requests"], reports)
    print(f"requests other than logins, by what else was going on (reports were being made "
          f"{sum(end - start for start, end in reports):.0f} s of {seconds:.0f}): " + "; ".join(
              f"{c['while']}: {c['requests']} p50 {c['p50']:.0f} p95 {c['p95']:.0f} p99 {c['p99']:.0f} ms"
              for c in causes))  # fmt: skip
    print(f"status codes seen by locust: {total['statuses']}; in gunicorn's access log: "
          f"{dict(sorted(server_statuses.items()))}")
    for r in rows[:-1]:
        for error, count in r["errors"].items():
            print(f"  failure {r['endpoint']}: {count} x {error}")
    durations = sorted(outcomes["report_seconds"])
    print(f"report jobs: {outcomes['reports_requested']} requested, {outcomes['reports_done']} done, "
          f"{outcomes['reports_failed']} failed; request to done: median "
          f"{percentile(durations, 0.5):.1f} s, max {durations[-1] if durations else 0:.1f} s")
    print("CPU seconds during the run: " + ", ".join(f"{name} {value:.1f}" for name, value in cpu.items())
          + f" (of {seconds * (os.cpu_count() or 1):.0f} available; PostgreSQL: the backends connected at the end)")
    print()
    for line in check_lines:
        print("count check, " + line)
    goal = total["p95"] < GOAL_P95_MS and total["5xx"] == 0 and server_5xx == 0
    slow = [r["endpoint"] for r in rows[:-1] if r["p95"] >= GOAL_P95_MS]
    print(f"goal (no 5xx, p95 < {GOAL_P95_MS} ms): {'met' if goal else 'NOT met'} (p95 of all requests "
          f"{total['p95']:.0f} ms; 5xx: {total['5xx']} seen by locust, {server_5xx} in the access log)"
          + (f"; endpoints at or above {GOAL_P95_MS} ms: {', '.join(slow)}" if slow else ""))
    ok = check_ok and total["5xx"] == 0 and server_5xx == 0 and total["requests"] > 0
    if args.json:
        summary = {
            "ok": ok, "count_check": check_ok, "count_check_lines": check_lines, "server_5xx": server_5xx,
            "rows": rows, "windows": windows(results["requests"], seconds), "tail_causes": causes,
            "outcomes": {key: len(value) if isinstance(value, list) else value for key, value in outcomes.items()},
            "report_seconds": durations, "cpu_seconds": cpu, "seconds": seconds, "load_before": load_before,
            "users": args.users, "people": fixed, "users_by_class": classes,
        }  # fmt: skip
        Path(args.json).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    if not ok:
        print(f"FAILED; the logs are in {workdir}")
    elif not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


def locust_version() -> str:
    try:
        from importlib.metadata import version

        return version("locust")
    except Exception:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
