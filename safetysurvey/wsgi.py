import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetysurvey.settings")
application = get_wsgi_application()

# Load the URLconf and every view now rather than on the first request, then hand the
# objects of start-up to the garbage collector's permanent generation: its full
# collections no longer walk them on every request (about 15% of the CPU of a survey
# submission; BENCHMARKS.md, "Ingest").
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 (the property loads them)
gc.collect()
gc.freeze()
