"""gunicorn's settings (safetysurvey/gunicorn.conf.py) beyond the log format (test_deploying_doc.py)."""

import runpy

from .helpers import ROOT


def test_workers_are_recycled_rarely_and_not_all_at_once():
    """A recycled worker imports the app again and serves nobody meanwhile. Workers share the
    load evenly, so they reach max_requests together unless the jitter spreads them: here
    each one's limit lies anywhere in [max_requests, 1.5 x max_requests]."""
    config = runpy.run_path(str(ROOT / "safetysurvey" / "gunicorn.conf.py"))
    assert config["max_requests"] >= 10000
    assert config["max_requests_jitter"] >= config["max_requests"] // 2
