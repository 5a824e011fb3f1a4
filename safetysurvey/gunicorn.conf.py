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
# Recycle workers now and then, so that a slow leak never takes a host down.
max_requests = 2000
max_requests_jitter = 200

accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"

# gunicorn's control socket (for gunicornc) sits at one path per user: several gunicorns on a
# host would fight over it, and nothing here uses it.
control_socket_disable = True
