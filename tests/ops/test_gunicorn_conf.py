"""gunicorn's settings (safetysurvey/gunicorn.conf.py): threaded workers, sized from the environment."""

import runpy

from .helpers import ROOT

CONF = str(ROOT / "safetysurvey" / "gunicorn.conf.py")


def test_workers_are_threaded_so_a_slow_request_does_not_hold_up_the_short_ones(monkeypatch):
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    config = runpy.run_path(CONF)
    assert (config["worker_class"], config["threads"]) == ("gthread", 4)


def test_the_threads_per_worker_come_from_gunicorn_threads(monkeypatch):
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = runpy.run_path(CONF)
    assert (config["workers"], config["threads"]) == (3, 8)
