"""Time the reports: one district PDF and the region report with every district.

    # pilot-sized data (6,500 responses over 3 waves, like the real survey), SQLite:
    export DATABASE_URL=sqlite:////tmp/bench_render.sqlite3 DEBUG=1
    /work/main/.venv/bin/python manage.py migrate && /work/main/.venv/bin/python manage.py seed_demo --responses 6500
    /work/main/.venv/bin/python bench/render.py --sqlite /tmp/bench_render.sqlite3 --wave 2020
    # or a PostgreSQL database seeded by bench/seed.py:
    /work/main/.venv/bin/python bench/render.py --database bench_reports_100k --wave 2023

For each report it prints the wall time and the CPU time of this process (the machine is
shared: CPU time says what the work costs, wall time what a user waited), split into the
figures (load_frame, wave_figures, trend), the page (the context, and of it the matplotlib
charts), the template and the PDF (WeasyPrint), plus the number of pages. Then the time to
publish the wave's figures (a snapshot, METHOD.md §4.10) and render_report's own time,
which reads that snapshot and computes no figure.

With real Celery workers (issue 5, scale-out; PostgreSQL and Redis needed):

    /work/main/.venv/bin/python bench/seed.py --responses 6500 --database bench_render_pilot
    /work/main/.venv/bin/python bench/render.py --database bench_render_pilot --wave 2023 --workers 1,2

For each count N it starts `celery -A safetysurvey worker --concurrency N` (prefork, as
docs/deploying.md runs it; `--layout processes` starts N workers of one process instead)
on a Redis queue and key prefix of its own (--redis, DB 7 by default), waits until every
pool process has imported the rendering stack, then asks for reports through
`reports.services.report_request` as an analyst and times each job from the request to
DONE: `region` is one region report alone; `batch` the region report in ru, kk and en and
the 14 district reports asked for at once (`nightly`: report_regenerate_current_wave).
Every run starts from fresh workers and no finished jobs (the benchmark database's jobs
are deleted, so nothing is reused). It prints per-job and total times, the speed-up over
the first count, the workers' CPU time and memory, and the load average before each run.
The workers are stopped by process group id at the end, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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


CHARTS = ("intervals", "distribution", "trend", "drivers", "counts", "region_map")


def time_charts(module) -> list:
    """Wrap the chart functions of `module` so that their wall and CPU time add up in the
    list returned ([wall, cpu, calls]); the page's time less this is the context itself."""
    spent = [0.0, 0.0, 0]

    def timed(function):
        def wrapper(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - wall
                spent[1] += time.process_time() - cpu
                spent[2] += 1

        return wrapper

    for name in CHARTS:
        setattr(module, name, timed(getattr(module, name)))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", help="a PostgreSQL database on 127.0.0.1 (e.g. bench_reports_100k)")
    where.add_argument("--sqlite", help="a SQLite file")
    parser.add_argument("--wave", required=True)
    parser.add_argument("--district", default="KRG-KZB")
    parser.add_argument("--language", default="ru")
    parser.add_argument("--repeat", type=int, default=2)
    workers = parser.add_argument_group("real Celery workers (--workers)")
    workers.add_argument("--workers", type=counts,
                         help="e.g. 1,2: time the jobs with that many worker processes (1,2,1,2: two pairs)")
    workers.add_argument("--layout", choices=("pool", "processes"), default="pool",
                         help="pool: one worker with --concurrency N, as docs/deploying.md runs it (default); "
                              "processes: N workers with --concurrency 1")
    workers.add_argument("--runs", type=phases, default=["region", "batch"],
                         help="what to time for each count: region (one region report alone), batch (the region "
                              "report in ru, kk and en and every district report, asked for at once), nightly "
                              "(report_regenerate_current_wave); default region,batch")
    workers.add_argument("--formats", default="html,pdf", help="formats of each job (default html,pdf, as nightly)")
    workers.add_argument("--redis", default="redis://127.0.0.1:6379/7",
                         help="the broker (keys get a prefix of their own)")
    workers.add_argument("--timeout", type=float, default=900, help="seconds a run may take before it is abandoned")
    workers.add_argument("--quiet-below", type=float, metavar="LOAD",
                         help="before each run, wait (at most --quiet-wait s) until the 1-minute load average is below")
    workers.add_argument("--quiet-wait", type=float, default=600)
    args = parser.parse_args()
    if args.workers and args.sqlite:
        parser.error("--workers needs --database: worker processes share PostgreSQL, not a SQLite file")
    if args.workers and not args.database.startswith("bench"):
        parser.error("--workers deletes every report job of its database before each run: use a benchmark "
                     "database (bench_...) seeded by bench/seed.py")
    os.environ["DATABASE_URL"] = (
        f"postgres://postgres@127.0.0.1:5432/{args.database}" if args.database else f"sqlite:///{args.sqlite}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetysurvey.settings")
    if args.workers:
        with_workers(args)
    else:
        os.environ.setdefault("DEBUG", "1")
        in_process(args)


def in_process(args) -> None:
    """Every part of a district report and of the region report, timed in this process."""
    import django

    django.setup()
    from django.template.loader import render_to_string
    from django.utils.translation import override
    from pypdf import PdfReader

    from reports import rendering
    from reports.figures import wave_results
    from reports.models import Snapshot
    from reports.snapshots import snapshot_make
    from surveys.models import Response, Wave

    count = Response.objects.filter(wave__code=args.wave, is_void=False).count()
    print(f"{count:,} responses in wave {args.wave}; {Response.objects.count():,} in all; language {args.language}")
    rendering.html_to_pdf("<p>warm up</p>")  # fonts and WeasyPrint's own start-up, once per worker
    chart_time = time_charts(rendering.charts)
    for scope in (args.district, "region"):
        best = None
        for _ in range(args.repeat):
            clock = Clock()
            with override(args.language):
                results = wave_results(args.wave)
                figures = clock.lap()
                chart_time[:] = [0.0, 0.0, 0]
                context = rendering._context(results, scope, args.language, lambda p: None)
                page = clock.lap()
                html = render_to_string("reports/report.html", context)
                template = clock.lap()
            pdf = rendering.html_to_pdf(html)
            printing = clock.lap()
            total = tuple(sum(part) for part in zip(figures, page, template, printing, strict=True))
            if best is None or total[0] < best[0][0]:
                pages = len(PdfReader(io.BytesIO(pdf)).pages)
                best = (total, figures, page, tuple(chart_time), template, printing, pages, len(html))
        total, figures, page, drawn, template, printing, pages, size = best
        print(
            f"{scope:>8}: {total[0]:5.2f} s wall, {total[1]:5.2f} s CPU — figures {figures[0]:.2f}/{figures[1]:.2f}, "
            f"page {page[0]:.2f}/{page[1]:.2f} (of which {drawn[2]} charts {drawn[0]:.2f}/{drawn[1]:.2f}), "
            f"template {template[0]:.2f}/{template[1]:.2f}, PDF {printing[0]:.2f}/{printing[1]:.2f} "
            f"(wall/CPU); {pages} pages, HTML {size / 1e6:.1f} MB"
        )
    # The nightly run: the snapshot, then the region report and each district's from it.
    clock = Clock()
    snapshot = snapshot_make(wave=Wave.objects.get(code=args.wave), trigger=Snapshot.Trigger.ANALYST)
    made = clock.lap()
    rendering.render_report(scope="region", wave=args.wave, language=args.language, formats=["pdf"])
    region = clock.lap()
    rendering.render_report(scope=args.district, wave=args.wave, language=args.language, formats=["pdf"])
    district = clock.lap()
    print(
        f"snapshot {snapshot.pk} {made[0]:.2f} s wall ({made[1]:.2f} CPU; unchanged input costs nothing); "
        f"render_report from it: region PDF {region[0]:.2f} s wall ({region[1]:.2f} CPU), then "
        f"{args.district} PDF {district[0]:.2f} s wall ({district[1]:.2f} CPU)"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")




# ---------------------------------------------------------------------------
# Real Celery workers (--workers 1,2)
# ---------------------------------------------------------------------------

BOOT_SECONDS = 180  # a worker's start and warm-up, on a busy machine


def counts(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("worker counts are positive integers, e.g. 1,2")
    return values


def phases(text: str) -> list[str]:
    values = [part.strip() for part in text.split(",") if part.strip()]
    unknown = set(values) - {"region", "batch", "nightly"}
    if not values or unknown:
        raise argparse.ArgumentTypeError("choose among region, batch, nightly")
    return values


class Workers:
    """`celery worker` subprocesses, each in a process group of its own (so Ctrl-C reaches only
    this script, which then stops them), stopped by that group's id in `stop()`.

    They stay in this script's session on purpose: Linux shares the CPU fairly between
    sessions (autogroup), so workers in sessions of their own would get one share each of a
    busy machine and "scale" only because they took CPU from the neighbours."""

    def __init__(self, env: dict[str, str], queue: str, logs: Path):
        self.env, self.queue, self.logs = env, queue, logs
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int, layout: str) -> None:
        # pool: one worker, `--concurrency N` prefork pool processes (docs/deploying.md §10);
        # processes: N workers of one pool process each, as N hosts of one core would run.
        for number in range(1 if layout == "pool" else count):
            concurrency = count if layout == "pool" else 1
            log = self.logs / f"worker-{count}-{number}.log"
            command = [
                sys.executable, "-m", "celery", "-A", "safetysurvey", "worker", "--pool", "prefork",
                "--concurrency", str(concurrency), "--max-tasks-per-child", "50", "--queues", self.queue,
                "--hostname", f"bench-render-{number}-{self.queue}@%h", "--include", "bench.render_warmup",
                "--without-mingle", "--without-gossip", "--loglevel", "INFO",
            ]
            with log.open("wb") as out:
                process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                           process_group=0, preexec_fn=_stop_with_parent)
            process.log = log
            self.processes.append(process)

    def pids(self) -> list[int]:
        """The workers and their pool processes."""
        out = []
        for process in self.processes:
            out.append(process.pid)
            out.extend(_children(process.pid))
        return out

    def check(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"a worker exited with {process.returncode}:\n{self.tail(process)}")

    def tail(self, process) -> str:
        return process.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        """SIGTERM (warm shutdown: nothing is running by now), then SIGKILL to the whole group."""
        for process in self.processes:
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process.pid, signal.SIGKILL)  # pool processes left behind, if any
            if process.poll() is None:
                process.wait(timeout=10)
        self.processes = []


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM it if this script dies without cleaning up (SIGKILL)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _children(pid: int) -> list[int]:
    """Descendants of `pid`, from the parent field of /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (/proc/<pid>/stat fields 14 and 15)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _pss_mb(pids: list[int]) -> float:
    """Proportional set size of these processes together (shared pages counted once)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def with_workers(args) -> None:
    """For each worker count: start the workers, ready every pool process, ask for the
    reports through `reports.services.report_request` as an analyst and time each job from
    the request to DONE; stop the workers. Each run starts from fresh workers and no jobs."""
    tag = uuid.uuid4().hex[:8]
    prefix, queue = f"bench-render-{tag}:", f"bench-render-{tag}"
    scratch = Path(tempfile.mkdtemp(prefix="bench_render_"))
    env = {
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "CELERY_BROKER_URL": args.redis,
        "CELERY_BROKER_KEY_PREFIX": prefix,
        "CELERY_REPORTS_QUEUE": queue,
        "REPORTS_ROOT": str(scratch / "reports"),
        "DEBUG": "0",  # as in production (DEBUG keeps every query in memory)
        "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    os.environ.update(env)
    env = {**os.environ, **env}
    import django

    django.setup()
    import redis
    from django.contrib.auth.models import Group, User

    from reports import services
    from reports.models import ReportJob
    from surveys import roles
    from surveys.models import Response, Wave

    wave = Wave.objects.get(code=args.wave)
    roles.ensure_groups()
    analyst, _ = User.objects.get_or_create(username="bench-render-analyst")
    analyst.groups.add(Group.objects.get(name=roles.ANALYST))
    districts = [d for d in services.District.objects.prefetch_related("children").order_by("code")
                 if services.district_takes_responses(d)]
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    count = Response.objects.filter(wave=wave, is_void=False).count()
    print(f"{count:,} responses in wave {wave.code}; {Response.objects.count():,} in all; formats {formats}; "
          f"workers {args.workers} ({args.layout}); broker {args.redis} prefix {prefix}")

    # A web process that has served a request before has imported reports.rendering (for the
    # input fingerprint): do so here too, so that the first request does not pay the imports.
    services.input_fingerprint(scope="region", wave=wave)
    # The figures are published before the reports are timed (the nightly run does so first).
    from reports.snapshots import snapshot_current

    snapshot_current(wave=wave)

    def requests(kind):
        if kind == "region":
            return [("region", args.language)]
        return [("region", language) for language in ("ru", "kk", "en")] + [(d, args.language) for d in districts]

    client = redis.Redis.from_url(args.redis)
    workers = Workers(env, queue, scratch)
    results: list[dict] = []

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGINT too: a background job ignores it
        signal.signal(signum, on_signal)
    try:
        for kind in args.runs:
            for n in args.workers:
                ReportJob.objects.all().delete()  # nothing to reuse: every request makes a job
                wait_quiet(args)
                warm = start_ready(workers, n, args, client, prefix)
                load = os.getloadavg()
                cpu_before = _cpu_seconds(workers.pids())
                asked: dict[int, float] = {}
                answered: dict[int, float] = {}
                first = time.time()
                if kind == "nightly":
                    for job, _reused in services.report_regenerate_current_wave():
                        asked[job.pk] = first
                        answered[job.pk] = time.time()
                else:
                    for scope, language in requests(kind):
                        moment = time.time()
                        job, reused = services.report_request(
                            user=analyst, scope=scope, wave=wave, language=language, formats=formats
                        )
                        assert not reused, "a finished job was reused: the timing would be meaningless"
                        asked[job.pk] = moment
                        answered[job.pk] = time.time()
                jobs = wait_done(asked, workers, args.timeout, ReportJob)
                pids = workers.pids()
                cpu, memory = _cpu_seconds(pids) - cpu_before, _pss_mb(pids)
                workers.stop()
                result = summary(kind, n, jobs, asked, answered, first, cpu, load, warm)
                result["pss"], result["processes"] = memory, len(pids)
                results.append(result)
                report(result, baseline(results, kind, args.workers[0]))
    finally:
        workers.stop()
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end\n")
    print("| run | worker processes | load before | all DONE | speed-up | region job (median run) | district job "
          "(median run) | median request to DONE | worker CPU | cores used | PSS of the workers |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for number, result in enumerate(results):
        kind, n = result["kind"], result["n"]
        base = baseline(results[: number + 1], kind, args.workers[0])
        runs = {label: [r["run"] for r in result["rows"] if (r["scope"] == "region") == (label == "region")]
                for label in ("region", "district")}
        median = {label: f"{statistics.median(v):.1f} s" if v else "—" for label, v in runs.items()}
        print(f"| {kind} | {n} | {result['load'][0]:.1f} | {result['wall']:.1f} s | "
              f"{base['wall'] / result['wall']:.2f}× | {median['region']} | {median['district']} | "
              f"{statistics.median(r['wait'] for r in result['rows']):.1f} s | {result['cpu']:.1f} s | "
              f"{result['cpu'] / result['wall']:.2f} | {result['pss']:.0f} MB ({result['processes']} processes) |")


def baseline(results: list[dict], kind: str, n: int) -> dict | None:
    """The latest run of `kind` with `n` workers (so `--workers 1,2,1,2` gives two pairs)."""
    return next((r for r in reversed(results) if r["kind"] == kind and r["n"] == n), None)


def wait_quiet(args) -> None:
    if args.quiet_below is None:
        return
    deadline = time.monotonic() + args.quiet_wait
    while os.getloadavg()[0] >= args.quiet_below and time.monotonic() < deadline:
        time.sleep(5)
    load = os.getloadavg()[0]
    if load >= args.quiet_below:
        print(f"(the load average stayed at {load:.1f}, above {args.quiet_below}, for {args.quiet_wait:.0f} s)")


def start_ready(workers: Workers, n: int, args, client, prefix: str) -> dict[str, str]:
    """Start the workers and wait until each of their n pool processes has run the warm-up;
    returns {pid: seconds its warm-up took}."""
    from safetysurvey.celery import app

    key = f"{prefix}warm"
    client.delete(key)
    workers.start(n, args.layout)
    for _ in range(n):
        app.send_task("bench.render_warmup.warm_up", args=(args.redis, key, n, BOOT_SECONDS), queue=workers.queue)
    deadline = time.monotonic() + BOOT_SECONDS
    while client.hlen(key) < n:
        workers.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{n} pool processes were not ready after {BOOT_SECONDS} s:\n"
                               + "\n".join(workers.tail(p) for p in workers.processes))
        time.sleep(0.2)
    time.sleep(0.5)  # the warm-up tasks return and are acknowledged
    return {pid.decode(): seconds.decode() for pid, seconds in client.hgetall(key).items()}


def wait_done(asked: dict[int, float], workers: Workers, timeout: float, ReportJob) -> list:
    deadline = time.monotonic() + timeout
    while True:
        jobs = list(ReportJob.objects.filter(pk__in=asked).select_related("district"))
        failed = [job for job in jobs if job.status == ReportJob.Status.FAILED]
        if failed:
            raise RuntimeError(f"job {failed[0].pk} failed: {failed[0].error}")
        if all(job.status == ReportJob.Status.DONE for job in jobs):
            return jobs
        workers.check()
        if time.monotonic() > deadline:
            states = sorted((job.pk, job.status, job.progress) for job in jobs)
            raise RuntimeError(f"not all jobs done after {timeout} s: {states}")
        time.sleep(0.1)


def summary(kind, n, jobs, asked, answered, first, cpu, load, warm) -> dict:
    rows = []
    for job in jobs:
        rows.append({
            "scope": job.district.code if job.district else "region",
            "language": job.language,
            "wait": job.finished_at.timestamp() - asked[job.pk],  # what the one who asked waited
            "run": (job.finished_at - job.started_at).total_seconds(),  # claimed to DONE in a pool process
            "request": answered[job.pk] - asked[job.pk],  # report_request itself (the fingerprint)
            "queued": job.started_at.timestamp() - answered[job.pk],  # in the queue until a process claimed it
            "worker": job.worker,
            "attempts": job.attempts,
        })
    wall = max(job.finished_at.timestamp() for job in jobs) - first
    busy: dict[str, float] = {}
    for row in rows:
        busy[row["worker"]] = busy.get(row["worker"], 0.0) + row["run"]
    return {"kind": kind, "n": n, "rows": rows, "wall": wall, "cpu": cpu, "load": load, "warm": warm, "busy": busy}


def report(result: dict, baseline: dict | None) -> None:
    rows, wall = result["rows"], result["wall"]
    load = " ".join(f"{x:.2f}" for x in result["load"])
    warm = ", ".join(f"{s} s" for s in result["warm"].values())
    print(f"\n{result['kind']} with {result['n']} worker process(es): load average {load} before; warm-up {warm}")
    for label, chosen in (("region", [r for r in rows if r["scope"] == "region"]),
                          ("district", [r for r in rows if r["scope"] != "region"])):
        if not chosen:
            continue
        runs = sorted(r["run"] for r in chosen)
        waits = sorted(r["wait"] for r in chosen)
        print(f"  {len(chosen):2} {label} job(s): run {runs[0]:.1f}–{runs[-1]:.1f} s (median "
              f"{statistics.median(runs):.1f}), request to DONE {waits[0]:.1f}–{waits[-1]:.1f} s (median "
              f"{statistics.median(waits):.1f})")
    requests, queued = (statistics.median(r[key] for r in rows) for key in ("request", "queued"))
    print(f"  median time in report_request {requests:.2f} s, then queued {queued:.2f} s until claimed")
    work = sum(r["run"] for r in rows)
    speed = ""
    if baseline and baseline is not result:
        speed = f", speed-up {baseline['wall'] / wall:.2f}× over {baseline['n']}"
    print(f"  all {len(rows)} DONE {wall:.1f} s after the first request{speed}; job time summed {work:.1f} s "
          f"(= {work / wall:.2f} jobs at once on average); worker CPU {result['cpu']:.1f} s "
          f"({result['cpu'] / wall:.2f} cores)")
    print("  per pool process, seconds busy: " + ", ".join(f"{s:.1f}" for s in sorted(result["busy"].values())))
    if any(r["attempts"] != 1 for r in rows):
        print("  NOTE: some job was started more than once")


if __name__ == "__main__":
    main()
