"""The Celery app. Without CELERY_BROKER_URL, tasks run in-process (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetysurvey.settings")

app = Celery("safetysurvey")
app.config_from_object("django.conf:settings", namespace="CELERY")
if not app.conf.broker_url:
    # Development: tasks run eagerly in the process (CELERY_TASK_ALWAYS_EAGER), but Celery
    # still builds a producer pool, which without a URL warns "No hostname was supplied".
    app.conf.broker_url = "memory://localhost/"
app.autodiscover_tasks()
