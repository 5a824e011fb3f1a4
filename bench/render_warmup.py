"""A benchmark-only Celery task that readies each worker process before bench/render.py
times it (`celery worker --include bench.render_warmup`; never part of the app).

A long-lived production worker has imported matplotlib and WeasyPrint and loaded its fonts
long before a user's report arrives; a just-started one pays that (a few seconds) on its
first job. `warm_up` pays it without touching the figures (those stay cold: a new job is
only ever made when the input changed, so a real job computes them too). Each call then
waits until `processes` different processes have checked in, so that every pool process,
not one process N times, is warmed.
"""

from __future__ import annotations

import os
import time

from celery import shared_task


# acks_late (as the report task): a worker whose one pool process is busy holds no second
# message, so with N workers of one process each the N warm-ups go to N different workers.
@shared_task(name="bench.render_warmup.warm_up", acks_late=True)
def warm_up(redis_url: str, key: str, processes: int, timeout: float) -> None:
    import redis

    from reports import charts, rendering

    started = time.monotonic()
    charts.counts([("warm up", 1)], axis_label="warm up", name="warmup")
    rendering.html_to_pdf("<p>warm up</p>")
    client = redis.Redis.from_url(redis_url)
    client.hset(key, str(os.getpid()), f"{time.monotonic() - started:.2f}")
    client.expire(key, 3600)
    deadline = time.monotonic() + timeout
    while client.hlen(key) < processes and time.monotonic() < deadline:
        time.sleep(0.1)
