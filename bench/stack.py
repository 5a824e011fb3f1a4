"""What the benchmarks that run the real stack share (bench/ingest.py, bench/load.py).

A PostgreSQL database of their own (dropped and created: its name must start with
"bench"), random valid answers to the published checklist, processes started in a session
of their own on 127.0.0.1 and stopped by their process id (their whole process group, so a
gunicorn master takes its workers with it), the CPU time of process trees and of the
PostgreSQL backends from /proc, and a line about the machine and the software.

No Django at import time: the scripts set the environment first, then call django.setup().
"""

import datetime
import http.client
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST_FILE = ROOT / "checklist" / "data" / "checklist-v1.yaml"
DISTRICTS_FILE = ROOT / "checklist" / "data" / "karaganda.yaml"

# --------------------------------------------------------------------------- database


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def database_recreate(url: str) -> None:
    """Drop and create the benchmark database (never one whose name does not start with 'bench')."""
    import psycopg

    parts = urlsplit(url)
    name = database_name(url)
    if not name.startswith("bench"):
        sys.exit(f"refusing to drop {name!r}: the benchmark database's name must start with 'bench'")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    import psycopg

    name = database_name(url)
    if not name.startswith("bench"):
        return
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_prepare(url: str, *, wave_code: str = "bench") -> None:
    """A fresh database, migrated, with checklist v1, the Karaganda districts and an open wave."""
    database_recreate(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("load_checklist", str(CHECKLIST_FILE), verbosity=0)
    call_command("load_districts", str(DISTRICTS_FILE), verbosity=0)
    from surveys.models import Wave

    Wave.objects.create(code=wave_code, name="Benchmark", starts_on=datetime.date.today(), is_open=True)


def postgres_backends(database_url: str) -> list[int]:
    """Process ids of the PostgreSQL backends serving the benchmark database (local server)."""
    import psycopg

    parts = urlsplit(database_url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [database_name(database_url)]
        ).fetchall()
    return [pid for (pid,) in rows]


# --------------------------------------------------------------------------- answers


def answers_random(definition, rng: random.Random) -> dict:
    """A valid, typed answer set: every shown required item, some optional ones, show-if respected."""
    from checklist.answers import clean_answers, is_shown

    answers: dict = {}
    for item in definition.items:
        if not is_shown(item, answers) or not (item.required or rng.random() < 0.6):
            continue
        if item.kind == "multiple":
            answers[item.code] = sorted(rng.sample([o.value for o in item.options], 2))
        elif item.has_options:
            answers[item.code] = rng.choice(item.options).value
        elif item.kind == "number":
            answers[item.code] = rng.randint(int(item.min_value or 0), int(item.max_value or 100))
        elif item.kind == "place":
            answers[item.code] = rng.choice(["12A", "37", "2К", "101"])
        else:
            answers[item.code] = rng.choice(["у остановки", "тёмный двор за рынком", "парк"])
    _cleaned, errors = clean_answers(definition, answers)
    assert not errors, errors
    return answers


# --------------------------------------------------------------------------- processes


def free_port(preferred: int = 0) -> int:
    """`preferred` when nothing listens there, else a port the kernel picks."""
    if preferred:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", preferred)) != 0:
                return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_start(command: list[str], env: dict, log: Path | None = None) -> subprocess.Popen:
    """Start a process as the leader of a session of its own (so that process_stop can stop
    its children too), its output to `log` (or inherited)."""
    output = log.open("ab") if log else None
    try:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT if log else None
        )
    finally:
        if output:
            output.close()


def process_stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the process group this process leads, SIGKILL after `timeout` seconds."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left of the group (a worker that outlived its master).
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.wait(timeout=10)


def http_ready(port: int, path: str, process: subprocess.Popen, timeout: float = 30) -> bool:
    """Wait until GET `path` answers 200 (False if the process exits or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def processes_cpu(pids: list[int], *, reaped: bool = False) -> float:
    """CPU seconds (user + system) used so far by these processes (Linux /proc); with
    `reaped`, also by their children that have exited (a recycled gunicorn worker)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15 if reaped else 13]) / ticks
    return total


def process_tree_cpu(root_pid: int) -> float:
    """CPU seconds used so far by a process and its descendants, living or exited (Linux /proc)."""
    children = _children()
    pids, found = [root_pid], []
    while pids:
        pid = pids.pop()
        found.append(pid)
        pids.extend(children.get(pid, []))
    return processes_cpu(found, reaped=True)


# --------------------------------------------------------------------------- report


def machine() -> str:
    model = ""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal:")))
        memory = f", {kib / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} CPU cores ({model or platform.processor()}){memory}, " \
        f"{platform.system()} {platform.release()}"


def versions(database_url: str) -> str:
    import django
    import gunicorn

    try:
        import psycopg

        with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as connection:
            pg = connection.execute("SHOW server_version").fetchone()[0]
    except Exception:
        pg = "?"
    return f"Python {platform.python_version()}, Django {django.get_version()}, gunicorn {gunicorn.__version__}, " \
        f"PostgreSQL {pg}"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"
