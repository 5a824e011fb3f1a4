"""safetysurvey settings: one module, driven by the environment.

Development needs nothing set: SQLite next to the code, Celery tasks run
in-process, a throwaway secret key (only while DEBUG is on). Production sets
DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis), CACHE_URL, SECRET_KEY,
ALLOWED_HOSTS and HTTPS=1; see docs/deploying.md.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = envbool("DEBUG", False)
# pytest sets PYTEST_VERSION for the length of a test run.
TESTING = "PYTEST_VERSION" in os.environ

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, not a CDN
    "safetysurvey.apps.AxesConfig",  # django-axes, under a translated name
    "simple_history",
    "safetysurvey",  # project-wide management commands: backup_export, backup_restore
    "checklist",
    "surveys",
    "reports",
]

MIDDLEWARE = [
    "safetysurvey.logs.RequestIdMiddleware",  # first: every log line of a request has its id
    # A view that finds the database unreachable answers 503 with Retry-After, not 500.
    "safetysurvey.outages.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safetysurvey.urls"
WSGI_APPLICATION = "safetysurvey.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "safetysurvey.context_processors.staff_roles",
                "safetysurvey.context_processors.language_names",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",  # csp_nonce for inline <script>/<style>
            ],
        },
    },
]

# Database: SQLite beside the code unless DATABASE_URL names another
# (postgres://user@host:5432/name in production and on CI).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: holds the anonymous rate-limit counters and nothing else of value.
# Several web processes must share it (CACHE_URL=redis://...) in production.
CACHE_URL = envstr("CACHE_URL", "")
if CACHE_URL:
    # Django's Redis backend with shared clients and a one-round-trip incr() (safetysurvey/cache.py).
    # Redis answers in a millisecond; one that stops answering without refusing connections
    # (a frozen host, a network partition) must not hold a submission for a TCP timeout: the
    # rate limit fails open after a second instead (docs/deploying.md, "When Redis is down").
    CACHES = {
        "default": {
            "BACKEND": "safetysurvey.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# After logging in, each role lands on its own tools (safetysurvey/views.py role_home).
LOGIN_REDIRECT_URL = "role-home"
LOGOUT_REDIRECT_URL = "home"

# Login lockout (django-axes): lock the account, not the address, so that no
# IP address is needed to enforce it.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = envbool("AXES_ENABLED", True)
# W006 asks to lock by address too; locking by user name is the deliberate choice above.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# The address axes records with each login is the client's as the trusted proxies saw it
# (TRUSTED_PROXY_COUNT, below), by the rate limit's rule; not a header the client wrote.
AXES_CLIENT_IP_CALLABLE = "safetysurvey.logins.login_client_address"
# Staff login records (axes' access log and failed attempts: address and user agent) are kept
# this many days, then deleted by the nightly beat (safetysurvey/logins.py, docs/deploying.md).
LOGIN_RECORDS_DAYS = envint("LOGIN_RECORDS_DAYS", 30)
if LOGIN_RECORDS_DAYS < 1:
    raise ImproperlyConfigured(f"LOGIN_RECORDS_DAYS must be 1 or more, not {LOGIN_RECORDS_DAYS}")

# Languages of the survey: Russian first, then Kazakh and English.
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django has no number and date formats for Kazakh; ours are in safetysurvey/formats/kk.
FORMAT_MODULE_PATH = ["safetysurvey.formats"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
# Report and export files: outside MEDIA_ROOT and never given a URL; the reports app serves
# them through a view that checks permission and logs the download (docs/reports.md).
REPORTS_ROOT = Path(envstr("REPORTS_ROOT", str(BASE_DIR / "private" / "reports")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "reports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": REPORTS_ROOT}},
    "staticfiles": {
        # Tests render templates without running collectstatic, so no manifest exists.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# HTTPS in production: on by HTTPS=1 (behind a TLS-terminating proxy).
HTTPS = envbool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Uploads (paper imports): refused above this size, checked by content.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON of at most 64 KiB, refusing what PostgreSQL's jsonb and text cannot hold (NUL, unpaired
    # surrogates) with a 400 rather than failing on it with a 500: surveys/parsers.py.
    "DEFAULT_PARSER_CLASSES": ["surveys.parsers.BoundedJSONParser"],
}
SPECTACULAR_SETTINGS = {
    # Two models call their states "status": name each set after what it is the state of.
    "ENUM_NAME_OVERRIDES": {
        "SheetStatusEnum": "surveys.paper_models.Sheet.Status",
        "ReportJobStatusEnum": "reports.models.ReportJob.Status",
        "ImportJobStatusEnum": "surveys.paper_models.ImportJob.Status",
    },
    # Row ids in paths (<id:...>, safetysurvey/converters.py).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    "TITLE": "safetysurvey API",
    "DESCRIPTION": "Community safety checklist: responses, paper entry and reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery. Without a broker, tasks run in-process (development, unit tests);
# with CELERY_BROKER_URL=redis://..., real workers take them.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task unacknowledged this long is handed to another worker (Redis transport).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600),
    # Lets several deployments (or test runs) share one Redis database without seeing
    # each other's queues and unacknowledged messages.
    "global_keyprefix": envstr("CELERY_BROKER_KEY_PREFIX", ""),
    # Without these a publish to a broker that vanished without closing the connection waits
    # for ever (kombu's own advice); above kombu's 1-second BRPOP timeout, so workers are unaffected.
    "socket_connect_timeout": 2,
    "socket_timeout": 3,
}
CELERY_TASK_ROUTES = {"reports.tasks.*": {"queue": envstr("CELERY_REPORTS_QUEUE", "celery")}}
# Export jobs (microdata, aggregate tables) go to a queue of their own when this is set, so that
# workers on other hosts make them; empty: the reports queue above (docs/deploying.md).
REPORT_EXPORTS_QUEUE = envstr("CELERY_EXPORTS_QUEUE", "")
CELERY_TIMEZONE = TIME_ZONE


def _crontab(spec: str):
    from celery.schedules import crontab

    try:
        minute, hour, day_of_month, month_of_year, day_of_week = spec.split()
    except ValueError:
        raise ImproperlyConfigured(f"A cron schedule has five fields, not {spec!r}") from None
    return crontab(minute, hour, day_of_week, day_of_month, month_of_year)


# How often beat runs the stale-job sweepers (docs/reports.md, docs/paper.md).
_SWEEP_SECONDS = envint("REPORTS_SWEEP_SECONDS", 300)
CELERY_BEAT_SCHEDULE = {
    "regenerate-current-wave-reports": {
        "task": "reports.tasks.regenerate_current_wave",
        "schedule": _crontab(envstr("REPORTS_NIGHTLY_CRON", "30 2 * * *")),
    },
    "sweep-stale-report-jobs": {
        "task": "reports.tasks.sweep_stale_jobs",
        "schedule": _SWEEP_SECONDS,
    },
    # Import jobs of paper sheets whose worker died (docs/paper.md), on the same schedule.
    "sweep-stale-import-jobs": {
        "task": "surveys.tasks.sweep_stale_import_jobs",
        "schedule": _SWEEP_SECONDS,
    },
    # Staff login records older than LOGIN_RECORDS_DAYS, every night at 03:15.
    "purge-login-records": {
        "task": "safetysurvey.tasks.purge_login_records",
        "schedule": _crontab("15 3 * * *"),
    },
}

# Survey rules.
SURVEY_RATE_LIMIT = envint("SURVEY_RATE_LIMIT", 20)  # submissions per client address per hour
# Reverse proxies in front of the app that append the client to X-Forwarded-For (nginx: 1).
# 0 trusts REMOTE_ADDR only; the rate limit would then count every resident behind a proxy as one.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
REPORT_MIN_CELL = envint("REPORT_MIN_CELL", 10)  # METHOD.md §4.8
# Report jobs (docs/reports.md): a running job whose heartbeat is older than this is taken
# over by another worker or re-queued by the sweeper; after REPORT_MAX_ATTEMPTS starts it fails.
REPORT_STALE_MINUTES = envfloat("REPORT_STALE_MINUTES", 30)
REPORT_MAX_ATTEMPTS = envint("REPORT_MAX_ATTEMPTS", 3)
# A running job writes its progress (and heartbeat) at most this often.
REPORT_PROGRESS_SECONDS = envfloat("REPORT_PROGRESS_SECONDS", 1.0)
# What the nightly regeneration (REPORTS_NIGHTLY_CRON above) produces for the open wave.
REPORTS_NIGHTLY_LANGUAGES = envlist("REPORTS_NIGHTLY_LANGUAGES", "ru,kk")
REPORTS_NIGHTLY_FORMATS = envlist("REPORTS_NIGHTLY_FORMATS", "html,pdf")
# Without a broker (`make run`), report jobs and paper import jobs run in a background thread
# of the web process, so the request returns at once and the progress bar moves; tests run
# them inline instead.
REPORTS_RUN_IN_THREAD = envbool("REPORTS_RUN_IN_THREAD", not CELERY_BROKER_URL and not TESTING)
# Parallel COPY streams when reports read responses from PostgreSQL (one per core helps).
REPORT_COPY_STREAMS = envint("REPORT_COPY_STREAMS", 2)

# Paper questionnaires (docs/paper.md).
PAPER_BATCH_MAX_SHEETS = envint("PAPER_BATCH_MAX_SHEETS", 10000)
PAPER_IMPORT_MAX_BYTES = envint("PAPER_IMPORT_MAX_BYTES", 5 * 1024 * 1024)  # refused above, before parsing
# An import job (docs/paper.md, "Bulk import") stops reading a file at the first of these it
# passes: rows of sheets after the header (twice the largest batch), cells in one row, empty
# ones too (the template has one per question), cells in all, and seconds of reading.
PAPER_IMPORT_MAX_ROWS = envint("PAPER_IMPORT_MAX_ROWS", 2 * PAPER_BATCH_MAX_SHEETS)
PAPER_IMPORT_MAX_COLUMNS = envint("PAPER_IMPORT_MAX_COLUMNS", 500)
PAPER_IMPORT_MAX_CELLS = envint("PAPER_IMPORT_MAX_CELLS", 1_000_000)
PAPER_IMPORT_MAX_SECONDS = envfloat("PAPER_IMPORT_MAX_SECONDS", 120)

# --- ops: security headers, API docs offline, media storage, logs ------------------------
# Content Security Policy (Django's own middleware): only our origin, inline code only with
# the per-request nonce ({{ csp_nonce }}), never framed, forms post only to us.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Swagger UI comes from drf-spectacular-sidecar (SPECTACULAR_SETTINGS above), so it works
# offline and under this policy; templates/drf_spectacular/swagger_ui.html puts the nonce on
# its inline style. No validator badge: it would call an outside service.
SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] = {"deepLinking": True, "validatorUrl": None}

# collectstatic compresses every static file for whitenoise; source maps are fetched only by
# a browser's developer tools and are the largest files (Swagger UI's), so they stay as they are.
from whitenoise.compress import Compressor  # noqa: E402

WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# Media (report files, uploads) on storage every host shares: the local MEDIA_ROOT by default
# (one host, or a shared mount), or an S3-compatible bucket with MEDIA_STORAGE=s3.
MEDIA_STORAGE = envstr("MEDIA_STORAGE", "filesystem")
if MEDIA_STORAGE == "s3":
    if not envstr("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (and the AWS_* credentials).")
    # django-storages reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY from settings or the
    # environment; the rest is set here so that nothing is public and nothing guessable.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": envstr("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": envstr("AWS_S3_ENDPOINT_URL") or None,
            "region_name": envstr("AWS_S3_REGION_NAME") or None,
            "location": envstr("AWS_LOCATION", "media"),
            "default_acl": "private",
            "querystring_auth": True,  # files are reached through short-lived signed URLs only
            "querystring_expire": envint("AWS_QUERYSTRING_EXPIRE", 300),
            "file_overwrite": False,
        },
    }
elif MEDIA_STORAGE != "filesystem":
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'filesystem' or 's3', not {MEDIA_STORAGE!r}")

# Logs: plain lines in development, one JSON object a line with LOG_FORMAT=json (production).
# Every record carries the request id (safetysurvey.logs); no record holds a client address.
LOG_FORMAT = envstr("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "safetysurvey.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "safetysurvey.logs.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # Django's request logger prints the path only; runserver's and axes' lines are quieted,
    # and WeasyPrint's, which reports every layout step at INFO.
    "loggers": {
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
# Celery workers keep their own log format in development; in JSON mode they use the above.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT == "plain"
# django-axes would name a client by address and user agent in its log lines; by name only.
AXES_CLIENT_STR_CALLABLE = "safetysurvey.logs.axes_client_str"
# --- end ops ------------------------------------------------------------------------------
