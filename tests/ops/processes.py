"""Real processes for the reliability tests: a private redis-server, a private PostgreSQL
cluster, gunicorn, Celery, and small HTTP clients to talk to them.

Everything here listens on 127.0.0.1 on a port picked when it starts, keeps its files in a
directory of the test, is stopped by its own process id, and waits a bounded time. The
machine's own PostgreSQL and Redis are never touched: a test that needs to stop a service
starts a private one.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

from .helpers import ROOT

REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
BOOT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def service_missing(reason: str):
    """Skip, or fail under REQUIRE_SERVICES=1 (CI), when a private service cannot be had."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def wait_until(condition, *, timeout: float, what: str, processes=(), interval: float = 0.1):
    """condition()'s first truthy value, polled for at most `timeout` seconds; fails the test
    with the processes' logs when it never comes or when one of them exits meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        for process in processes:
            if not process.running:
                pytest.fail(f"{process.name} exited ({process.returncode}) while waiting for {what}\n{process.tail()}")
        if time.monotonic() > deadline:
            logs = "\n".join(process.tail() for process in processes)
            pytest.fail(f"timed out after {timeout} s waiting for {what}\n{logs}")
        time.sleep(interval)


class Process:
    """A subprocess with its output in a log file, stopped by its pid (SIGTERM, then SIGKILL).
    It leads a session of its own, so that gunicorn's and Celery's children can be reached
    through its process group if the parent dies first."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_dir: Path, cwd: Path = ROOT):
        self.name, self.command, self.env, self.cwd = name, command, env, cwd
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self):
        return self.popen.poll() if self.popen else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, chars: int = 6000) -> str:
        return f"--- {self.name} ({self.log_path})\n{self.log()[-chars:]}"

    def stop(self, *, grace: float = 10) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        try:  # anything its children left behind in its group (a worker whose master died)
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        if self.running:
            self.popen.kill()
            self.popen.wait(timeout=10)


# ---------------------------------------------------------------------------- Redis


class RedisServer:
    """A private redis-server on 127.0.0.1: nothing saved to disk, so a restart starts empty
    (as a cache node or a broker that lost its data would)."""

    def __init__(self, directory: Path, port: int | None = None):
        if not os.access(REDIS_SERVER, os.X_OK):
            service_missing(f"there is no redis-server at {REDIS_SERVER} (apt-get install redis-server)")
        self.directory = directory
        self.port = port or free_port()
        self.starts = 0
        self.process: Process | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_connect_timeout=1, socket_timeout=2)

    def answers(self) -> bool:
        # A bare PING: redis-py's own client retries a refused connection with backoff.
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:  # refused, reset: not (yet) up
            return False

    def start(self) -> RedisServer:
        self.starts += 1
        command = [
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(self.directory),
        ]
        self.process = Process(f"redis-{self.starts}", command, env=dict(os.environ), log_dir=self.directory).start()
        wait_until(self.answers, timeout=10, what="redis-server", processes=[self.process])
        return self

    def kill(self) -> None:
        self.process.kill()
        assert not self.answers()

    def freeze(self) -> None:
        """SIGSTOP: the kernel still accepts connections and data, nothing answers (a hung
        host, a network partition)."""
        self.process.popen.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.popen.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            if self.process.running:
                self.thaw()  # a stopped process would not act on SIGTERM
            self.process.stop(grace=5)


# ---------------------------------------------------------------------------- PostgreSQL


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory, run as the `postgres` system
    user (the server refuses to run as root), listening on 127.0.0.1 only, trust auth for
    127.0.0.1 only. `restart()` is `pg_ctl restart -m fast`: every connection is cut."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not os.access(PG_BIN / tool, os.X_OK):
                service_missing(f"there is no {PG_BIN / tool} (PostgreSQL 15 server binaries; set PG_BIN)")
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                service_missing("running as root, and there is no `postgres` system user to run a private cluster")
            if not shutil.which("runuser"):
                service_missing("running as root without `runuser` to start PostgreSQL as `postgres`")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        # Not under pytest's tmp_path: root's 0700 directories are closed to `postgres`.
        self.root = Path(tempfile.mkdtemp(prefix="ss_rel_pg_"))
        if self.as_postgres:
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.data = self.root / "data"
        self.log_path = self.root / "server.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        return subprocess.run(
            [*self.as_postgres, *args], env=env, cwd=self.root, capture_output=True, text=True, timeout=timeout
        )

    def _checked(self, what: str, *args: str, timeout: float = 60) -> None:
        try:
            result = self._run(*args, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as error:
            service_missing(f"the private PostgreSQL cluster could not {what}: {error}")
        if result.returncode != 0:
            service_missing(
                f"the private PostgreSQL cluster could not {what} (exit {result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n{self.server_log()}"
            )

    def server_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def start(self) -> PostgresCluster:
        self._checked(
            "be created",
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync", "--no-instructions",
        )
        # 127.0.0.1 only, trust there and nowhere else; the socket stays in the private directory.
        (self.data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                "max_connections = 40\nshared_buffers = 32MB\nfsync = off\nsynchronous_commit = on\n"
            )
        self._checked("start", *self._pg_ctl("start"), timeout=BOOT_SECONDS + 5)
        return self

    def _pg_ctl(self, action: str, *extra: str) -> list[str]:
        return [str(PG_BIN / "pg_ctl"), action, "-D", str(self.data), "-l", str(self.log_path), "-w",
                "-t", str(BOOT_SECONDS), *extra]

    def restart(self) -> subprocess.CompletedProcess:
        """`pg_ctl restart -m fast`; returns pg_ctl's result (the caller asserts on it)."""
        return self._run(*self._pg_ctl("restart", "-m", "fast"), timeout=BOOT_SECONDS + 5)

    def stop(self) -> None:
        """Stop it whatever state it is in, and remove its directory."""
        if (self.data / "postmaster.pid").exists():
            pg_ctl = str(PG_BIN / "pg_ctl")
            result = self._run(pg_ctl, "stop", "-D", str(self.data), "-m", "immediate", "-w", "-t", "20")
            if result.returncode != 0:
                self._kill_postmaster()
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)  # its backends exit when the postmaster is gone
        except (OSError, ValueError, IndexError):
            pass

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


# ---------------------------------------------------------------------------- the app


def gunicorn(*, env: dict[str, str], log_dir: Path, port: int, extra: tuple[str, ...] = ()) -> Process:
    """gunicorn with the production config file (safetysurvey/gunicorn.conf.py), up and
    answering /healthz."""
    command = [
        sys.executable, "-m", "gunicorn", "-c", "safetysurvey/gunicorn.conf.py", "safetysurvey.wsgi",
        "--bind", f"127.0.0.1:{port}", *extra,
    ]
    process = Process("gunicorn", command, env=env, log_dir=log_dir).start()
    wait_until(
        lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200,
        timeout=BOOT_SECONDS, what="gunicorn to answer /healthz", processes=[process], interval=0.2,
    )
    return process


def celery(name: str, *args: str, env: dict[str, str], log_dir: Path) -> Process:
    command = [sys.executable, "-m", "celery", "-A", "safetysurvey", *args]
    return Process(name, command, env=env, log_dir=log_dir).start()


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


# ---------------------------------------------------------------------------- HTTP


def http_get(url: str, timeout: float = 3) -> tuple[int | None, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError:
        return None, ""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    def json(self):
        return json.loads(self.text)

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("location", "")).path


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is the answer the test looks at


@dataclass
class Browser:
    """Cookies, CSRF tokens and no automatic redirects: a person's browser, in urllib."""

    base: str
    timeout: float = 10
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self):
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status, {k.lower(): v for k, v in response.headers.items()},
                              response.read().decode(errors="replace"))
        except urllib.error.HTTPError as error:
            return Answer(error.code, {k.lower(): v for k, v in error.headers.items()},
                          error.read().decode(errors="replace"))

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base + path, headers={"Accept-Language": "ru"}))

    def post(self, path: str, data: dict | list[tuple[str, str]]) -> Answer:
        """A form POST carrying the CSRF cookie's token, as Django's forms do."""
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        fields.append(("csrfmiddlewaretoken", self.cookie("csrftoken")))
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "ru"}
        return self._open(urllib.request.Request(self.base + path, data=body, headers=headers, method="POST"))

    def cookie(self, name: str) -> str:
        return next((cookie.value for cookie in self.jar if cookie.name == name), "")

    def login(self, username: str, password: str) -> Answer:
        page = self.get("/accounts/login/")
        assert page.status == 200, page.text[:2000]
        return self.post("/accounts/login/", {"username": username, "password": password})


def post_json(base: str, path: str, body: dict, *, timeout: float = 10) -> Answer:
    """One JSON POST on a fresh connection (what a phone's retry would be)."""
    split = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=timeout)
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read().decode(errors="replace"))
    finally:
        connection.close()


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)" name="{re.escape(name)}"', html
    )
    assert match, f"no hidden field {name!r} in the page"
    return match.group(1)


def this_runs_database_url() -> str:
    """The database of this test run (pytest-django made and migrated it), for subprocesses."""
    from django.db import connection

    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
