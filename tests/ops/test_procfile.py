"""The Procfile starts gunicorn, a Celery worker and celery beat against PostgreSQL and Redis."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL

from .helpers import ROOT, production_env
from .processes import free_port, this_runs_database_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

DEADLINE_SECONDS = 40


class Output:
    """honcho's output, read by a thread, so that the test can wait for a line."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def text(self) -> str:
        return "\n".join(self.lines)


def get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return None


def stop(honcho: subprocess.Popen, output: Output) -> list[int]:
    """SIGTERM to honcho's process group; honcho stops its children. SIGKILL what is left."""
    children = [int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", output.text())]
    os.killpg(honcho.pid, signal.SIGTERM)
    try:
        honcho.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(honcho.pid, signal.SIGKILL)
        honcho.wait(timeout=5)
    for pid in children:  # each child leads its own process group (honcho's choice)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return children


def test_honcho_starts_web_worker_and_beat_and_stops_them(db, collected_static, tmp_path):
    port = free_port()
    (tmp_path / "empty.env").write_text("")  # not the developer's .env
    env = production_env(
        tmp_path,
        HTTPS="0",  # plain HTTP on the loopback; a proxy terminates TLS in production
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=this_runs_database_url(),
        CELERY_BROKER_URL=REDIS_URL,
        CACHE_URL=REDIS_URL,
        STATIC_ROOT=str(collected_static),
        CELERY_BEAT_SCHEDULE_FILE=str(tmp_path / "celerybeat-schedule"),
        WEB_CONCURRENCY="1",
        CELERY_CONCURRENCY="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    started = time.monotonic()
    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "--no-colour", "-e", str(tmp_path / "empty.env"), "start", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(honcho.stdout)
    try:
        login = None
        while time.monotonic() - started < DEADLINE_SECONDS:
            login = login or get(f"http://127.0.0.1:{port}/accounts/login/")
            if login == 200 and re.search(r"worker\.1 .*ready", output.text()) and "beat.1" in output.text():
                break
            assert honcho.poll() is None, output.text()
            time.sleep(0.5)
        else:
            pytest.fail(f"not up within {DEADLINE_SECONDS} s (login page: {login})\n{output.text()}")
    finally:
        children = stop(honcho, output)

    log = output.text()
    assert len(children) == 3, log
    assert re.search(r"beat\.1 .*beat: Starting", log), log
    # gunicorn's access line for the login page names no client address.
    access = [line for line in output.lines if "GET /accounts/login/" in line]
    assert access and all("127.0.0.1" not in line and "request_id=" in line for line in access), log
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
