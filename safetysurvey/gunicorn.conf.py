"""gunicorn's settings: `gunicorn -c safetysurvey/gunicorn.conf.py safetysurvey.wsgi` (the
Procfile, the systemd unit in docs/deploying.md). Command-line options override them.

The access log names no client: no %(h)s (address), no %(a)s (user agent), no %(f)s
(referrer). It carries the request id that the app echoes, to find the request's app log lines.
"""

import os

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # about 2 x the host's cores
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then, so that a slow leak never takes a host down. Rarely: a new
# worker imports the app again (about 1.5 s of CPU) and serves nobody meanwhile. And not all
# at once: workers share the load evenly, so with a jitter of only a tenth they reached their
# limit within seconds of each other, and at a campaign's peak (bench/load.py, 100 users)
# both workers of a host were restarting together every 100 s (BENCHMARKS.md, "Load").
max_requests = 10000
max_requests_jitter = 5000

accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"

# gunicorn's control socket (for gunicornc) sits at one path per user: several gunicorns on a
# host would fight over it, and nothing here uses it.
control_socket_disable = True
