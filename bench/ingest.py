#!/usr/bin/env python
"""Ingest benchmark: responses per second through POST /api/v1/responses/ (issue 2).

Starts gunicorn (2 workers) on 127.0.0.1 against a PostgreSQL database of its own
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_ingest: dropped,
created, migrated and loaded with the checklist, the districts and an open wave), then
drives, in the same run and on the same server, first the minimal JSON view /healthz and
then the POST, each with CONCURRENCY keep-alive connections for DURATION seconds after a
short warm-up. Prints requests per second of both, their ratio, p50/p95/p99 latency and
the errors, and checks that every 201 is exactly one new row in the database.

Every POST is a different valid response (random answers over the 14 districts, with a
client_id, the heavier path: it adds the idempotency lookup) through the per-address rate
limiter in Redis (CACHE_URL, as in production; its limit raised so it never trips).

Load generator: wrk (Debian package `wrk`; installed with apt-get when missing and run as
root) with a Lua script, or --client python (threads and http.client keep-alive, needs
nothing but uses more CPU: the server and the load tool share the machine's cores).
Loopback only, bounded in time. Goal (issue 2): ratio >= 0.5 and p95 < 50 ms.

    python bench/ingest.py                       # the recorded run (BENCHMARKS.md)
    python bench/ingest.py --worker-class sync   # compare gunicorn worker classes
    python bench/ingest.py --duration 5          # a quick look
"""

import argparse
import datetime
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import stack  # bench/stack.py: this script's folder is first on sys.path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_ingest"
POST_PATH = "/api/v1/responses/"
HEALTH_PATH = "/healthz"

WRK_SCRIPT = r"""
-- POSTs pre-made bodies (one per line of the file given after --), each with a fresh
-- client_id: run prefix, thread number and a counter make it unique; or GETs a path.
local mode, bodies, counter, prefix = nil, {}, 0, "00000000"
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  prefix = args[3] or prefix
  if mode == "post" then
    for line in io.lines(args[2]) do bodies[#bodies + 1] = line end
  end
end

function request()
  if mode ~= "post" then
    return wrk.format("GET")
  end
  counter = counter + 1
  local client_id = string.format("%s-%04x-4000-8000-%012x", prefix, id, counter)
  local body = bodies[(counter + id * 7919) % #bodies + 1]:gsub("__CLIENT_ID__", client_id, 1)
  return wrk.format("POST", "/api/v1/responses/", {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "status_errors": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


# --------------------------------------------------------------------------- set-up


def bodies_make(count: int, seed: int) -> list[str]:
    """`count` different valid responses as JSON, with __CLIENT_ID__ where the id goes."""
    from django.db import connection

    from checklist.definition import definition_for
    from checklist.models import Checklist, District

    definition = definition_for(Checklist.current())
    districts = [d.code for d in District.objects.prefetch_related("children") if d.takes_responses]
    connection.close()
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        answers = stack.answers_random(definition, rng)
        body = {"district": rng.choice(districts), "language": rng.choice(["ru", "kk", "en"]),
                "answers": answers, "client_id": "__CLIENT_ID__"}
        bodies.append(json.dumps(body, ensure_ascii=False))
    return bodies


def responses_count() -> int:
    from django.db import connection

    from surveys.models import Response

    count = Response.objects.count()
    connection.close()
    return count


# --------------------------------------------------------------------------- server


def server_start(args, env: dict, port: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "safetysurvey.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", args.worker_class,
        "--log-level", "warning",
        "--backlog", "256",
    ]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    server = stack.process_start(command, env)
    if not stack.http_ready(port, HEALTH_PATH, server, timeout=30):
        stack.process_stop(server)
        sys.exit(f"gunicorn did not answer {HEALTH_PATH} within 30 s (exit code {server.returncode})")
    return server


# --------------------------------------------------------------------------- load


def wrk_find() -> str | None:
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("wrk is missing: apt-get install wrk ...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env=os.environ | {
        "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def wrk_run(wrk: str, port: int, mode: str, seconds: float, args, script: Path, bodies_file: Path) -> dict:
    prefix = uuid.uuid4().hex[:8]
    path = POST_PATH if mode == "post" else HEALTH_PATH
    command = [
        wrk, "-t", str(args.wrk_threads), "-c", str(args.concurrency), "-d", f"{seconds:g}s",
        "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}{path}", "--", mode, str(bodies_file), prefix,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON "):])
    errors = raw["status_errors"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "seconds": raw["duration_us"] / 1e6,
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000, "p95_ms": raw["p95_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": errors,
        "error_detail": {key: raw[key] for key in ("status_errors", "connect", "read", "write", "timeout")},
    }


def python_run(port: int, mode: str, seconds: float, concurrency: int, bodies: list[str]) -> dict:
    """Threads with keep-alive connections; each records (latency, status) until the deadline."""
    prefix = uuid.uuid4().hex[:8]
    deadline = time.monotonic() + seconds
    results: list[list[tuple[float, int]]] = [[] for _ in range(concurrency)]

    def worker(index: int):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        counter = 0
        while time.monotonic() < deadline:
            counter += 1
            if mode == "post":
                client_id = f"{prefix}-{index:04x}-4000-8000-{counter:012x}"
                body = bodies[(counter + index * 7919) % len(bodies)].replace("__CLIENT_ID__", client_id, 1)
                payload = body.encode()
            start = time.perf_counter()
            try:
                if mode == "post":
                    connection.request("POST", POST_PATH, payload, {"Content-Type": "application/json"})
                else:
                    connection.request("GET", HEALTH_PATH)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                status = 0
            results[index].append((time.perf_counter() - start, status))
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    samples = [sample for per_thread in results for sample in per_thread]
    latencies = sorted(latency for latency, _ in samples)
    ok = 201 if mode == "post" else 200

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(samples),
        "seconds": elapsed,
        "rps": len(samples) / elapsed,
        "p50_ms": percentile(50), "p95_ms": percentile(95), "p99_ms": percentile(99),
        "max_ms": latencies[-1] * 1000,
        "errors": sum(1 for _, status in samples if status != ok),
        "error_detail": {"statuses": dict(sorted(Counter(status for _, status in samples).items()))},
    }


# --------------------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of measured load per endpoint")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load before each")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--client", default="wrk", choices=["wrk", "python"])
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--bodies", type=int, default=2000, help="different responses to cycle through")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/12", help="CACHE_URL of the server ('' = local)")
    parser.add_argument("--rate-limit", type=int, default=10**9,
                        help="SURVEY_RATE_LIMIT of the server (default: never trips; 0 turns the limiter off)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "safetysurvey.settings",
        "DATABASE_URL": database_url,
        "CACHE_URL": args.cache,
        "DEBUG": "0",
        "SECRET_KEY": "bench-ingest-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SURVEY_RATE_LIMIT": str(args.rate_limit),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CELERY_BROKER_URL", None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    client = args.client
    wrk = wrk_find() if client == "wrk" else None
    if client == "wrk" and not wrk:
        print("wrk not found (apt-get install wrk); using the Python client", flush=True)
        client = "python"

    print(f"Preparing {urlsplit(database_url).path.lstrip('/')} ...", flush=True)
    stack.database_prepare(database_url)
    bodies = bodies_make(args.bodies, args.seed)
    before = responses_count()

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    script, bodies_file = workdir / "ingest.lua", workdir / "bodies.jsonl"
    script.write_text(WRK_SCRIPT)
    bodies_file.write_text("\n".join(bodies) + "\n", encoding="utf-8")

    port = stack.free_port(args.port)
    server = server_start(args, env, port)
    results = {}
    try:
        for name, mode in (("healthz", "get"), ("ingest", "post")):
            for seconds, keep in ((args.warmup, False), (args.duration, True)):
                if seconds <= 0:
                    continue
                cpu_before = stack.process_tree_cpu(server.pid)
                # Django keeps its connections (CONN_MAX_AGE): the same backends serve the phase.
                backends = stack.postgres_backends(database_url)
                pg_before = {pid: stack.processes_cpu([pid]) for pid in backends}
                if client == "wrk":
                    result = wrk_run(wrk, port, mode, seconds, args, script, bodies_file)
                else:
                    result = python_run(port, mode, seconds, args.concurrency, bodies)
                used = stack.process_tree_cpu(server.pid) - cpu_before
                result["server_cpu_ms"] = used * 1000 / max(1, result["requests"])
                # Backends that appear during the phase count with all their CPU.
                pg_used = sum(max(0.0, stack.processes_cpu([pid]) - pg_before.get(pid, 0.0))
                              for pid in set(backends) | set(stack.postgres_backends(database_url)))
                result["postgres_cpu_ms"] = pg_used * 1000 / max(1, result["requests"])
                if keep:
                    results[name] = result
                elif mode == "post":
                    results["warmup_posts"] = result
    finally:
        stack.process_stop(server)
        shutil.rmtree(workdir, ignore_errors=True)

    stored = responses_count() - before
    posted_ok = sum(r["requests"] - r["errors"] for key, r in results.items() if key in ("ingest", "warmup_posts"))
    health, ingest = results["healthz"], results["ingest"]
    ratio = ingest["rps"] / health["rps"]
    print()
    print(f"Ingest benchmark, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"Machine: {stack.machine()}; server, PostgreSQL, Redis and the load tool share it")
    print(f"Software: {stack.versions(database_url)}")
    print(f"Server: gunicorn {args.workers} {args.worker_class} workers"
          + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
          + f"; load: {client}" + (f" ({args.wrk_threads} thread)" if client == "wrk" else "")
          + f", {args.concurrency} connections, {args.duration:g} s each after {args.warmup:g} s warm-up")
    print(f"Cache: {args.cache or 'local memory'}; rate limiter: "
          + (f"on (limit {args.rate_limit}/hour)" if args.rate_limit > 0 else "off"))
    print()
    print(f"{'endpoint':<26}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'errors':>7}"
          f"   CPU ms/req: gunicorn  PostgreSQL")
    for label, result in (("GET /healthz", health), (f"POST {POST_PATH}", ingest)):
        print(f"{label:<26}{result['rps']:>8.0f}{result['p50_ms']:>8.1f}{result['p95_ms']:>8.1f}"
              f"{result['p99_ms']:>8.1f}{result['max_ms']:>8.1f}{result['errors']:>7}"
              f"{result['server_cpu_ms']:>22.2f}{result['postgres_cpu_ms']:>12.2f}")
    print()
    goal = ratio >= 0.5 and ingest["p95_ms"] < 50
    print(f"ratio POST/healthz: {ratio:.2f}   POST p95: {ingest['p95_ms']:.1f} ms   "
          f"goal (ratio >= 0.5, p95 < 50 ms): {'met' if goal else 'NOT met'}")
    # The load tool stops counting at its deadline with up to `concurrency` requests in flight,
    # which the server still completes: at most that many more rows per POST phase, never fewer.
    in_flight = args.concurrency * (2 if args.warmup > 0 else 1)
    count_ok = posted_ok <= stored <= posted_ok + in_flight
    print(f"count check: {posted_ok} POSTs answered 201, {stored} new rows "
          f"(+ at most {in_flight} in flight when the load tool stopped): {'ok' if count_ok else 'MISMATCH'}")
    if health["errors"] or ingest["errors"]:
        print(f"errors: healthz {health['error_detail']}, ingest {ingest['error_detail']}")
    if args.json:
        print(json.dumps({"ratio": ratio, "stored": stored, **results}, indent=2))
    sys.exit(0 if count_ok and not ingest["errors"] else 1)


if __name__ == "__main__":
    main()
