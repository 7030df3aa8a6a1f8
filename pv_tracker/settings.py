"""pv-tracker settings: the one place that reads the environment.

Defaults give a self-contained install (SQLite in WAL mode, a filesystem Celery broker)
so that a fresh clone runs with no server; production sets DATABASE_URL,
CELERY_BROKER_URL, SECRET_KEY, DEBUG=false and ALLOWED_HOSTS.
"""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
import xstatic.pkg.bootstrap
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PV_VAR_DIR", BASE_DIR / "var"))


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def development_secret_key():
    """A random key made once per checkout and kept in var/ (never a key written in the code)."""
    from django.core.management.utils import get_random_secret_key

    path = VAR_DIR / "development-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(get_random_secret_key())
    return path.read_text().strip()


# Off unless explicitly set true: `make run` and the tests set DEBUG=true, production never does.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or development_secret_key()
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "django_celery_beat",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # one-time recovery codes, for a lost authenticator
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.core",
    "apps.audit",
    "apps.accounts",
    "apps.products",
    "apps.patients",
    "apps.exposures",
    "apps.reactions",
    "apps.imports",
    "apps.reports",
    "apps.dashboard",
    "apps.e2b",
    "apps.summaries",
    "apps.demo",
    "apps.clocks",
    "apps.sdtm",
    "apps.api",
    "apps.fhir",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.core.middleware.DatabaseBusyMiddleware",
    "apps.core.middleware.SessionLifetimeMiddleware",
    "apps.core.middleware.AccessPolicyMiddleware",
    "apps.accounts.mfa.MfaRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "pv_tracker.urls"
WSGI_APPLICATION = "pv_tracker.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.access",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Database: DATABASE_URL, or an SQLite file under var/. SQLite runs in WAL mode with a
# busy timeout and IMMEDIATE transactions so that the web process and the worker can
# write at the same time without "database is locked" errors.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# Persistent connections: a new PostgreSQL connection per request cost more than most pages
# (the trivial view went from 47 to 238 req/s); the health check replaces a connection the
# server closed before it is used.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60),
                                              conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # A web write waits this long for a writer that holds the database (an import), then gets the
        # "busy, try again" page (apps.core.middleware.DatabaseBusyMiddleware); commands raise it (imports).
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 5),
    }
    # A file, not :memory:, so that a Celery worker started by the tests sees the data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache shared by every web worker and host: CACHE_URL redis://host:6379/N (production), or local
# memory (the embedded default, one process). Summaries and dashboard figures are computed once
# per data stamp under a lock in this cache (apps/core/cache.py).
CACHE_URL = env_str("CACHE_URL", "locmem://")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "pv")}}
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pv-tracker"}}
elif CACHE_URL == "dummy://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL must be redis://host:port/db, locmem:// or dummy://, not {CACHE_URL!r}")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# English and Italian (the Kineret label's language); the user picks one with the switcher in the
# navbar (a cookie), else the browser's Accept-Language decides. Dates stay ISO (YYYY-MM-DD) in
# every language: the date inputs need it and the templates format dates explicitly.
LANGUAGES = [("en-gb", "English"), ("it", "Italiano")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap comes from the xstatic-bootstrap package, never a CDN: the app works offline.
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR)]
# Sessions in the database; a best-effort update that finds SQLite busy is skipped (apps/core/sessions.py).
SESSION_ENGINE = "apps.core.sessions"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Celery. The default broker is kombu's filesystem transport under var/broker: it
# needs no server and supports the fanout used by `celery inspect ping`.
# Production needs a real, shared broker: on two hosts the filesystem broker would queue each
# host's tasks only to itself, silently. So it is the default only with DEBUG on.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://" if DEBUG else "")
if not CELERY_BROKER_URL:
    raise ImproperlyConfigured("CELERY_BROKER_URL must be set when DEBUG is false (e.g. redis://redis:6379/0); "
                               "filesystem:// is accepted only when set explicitly, for a single-host install")
# PV_BROKER_DIR lets a test and the worker it starts share a private broker folder.
BROKER_DIR = Path(os.environ.get("PV_BROKER_DIR", VAR_DIR / "broker"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "pv_tracker.broker:Transport"  # atomic writes; see pv_tracker/broker.py
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "polling_interval": 0.2,
    }
    for folder in ("queue", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Unacknowledged (acks_late) messages of a dead worker are redelivered after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# django-celery-beat's database scheduler behind a lock: any number of beat processes may run, one
# sends (pv_tracker/beat.py). Each sent task's last run is stored at once, for the next holder.
CELERY_BEAT_SCHEDULER = "pv_tracker.beat:SingleBeatScheduler"
CELERY_BEAT_SYNC_EVERY = 1
BEAT_LOCK_SECONDS = env_int("PV_BEAT_LOCK_SECONDS", 30)
BEAT_LOCK_RETRY_SECONDS = env_int("PV_BEAT_LOCK_RETRY_SECONDS", 5)
# Upkeep on the beat (the database scheduler copies these into its table): stored figures refreshed
# when the data changed (a no-op otherwise; also after midnight, when "today" moves) and fresh planner
# statistics every night.
CELERY_BEAT_SCHEDULE = {
    "refresh-stored-figures": {"task": "summaries.refresh_figures",
                               "schedule": env_int("PV_FIGURES_REFRESH_SECONDS", 300)},
    "refresh-planner-statistics": {"task": "core.refresh_planner_statistics",
                                   "schedule": crontab(hour=3, minute=15)},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "pv-tracker@localhost")
# The address the notification e-mails link to.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Brute-force protection: lock an account/IP pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Beside that lockout, one address may fail at most this many logins (any usernames) per window:
# a password spray from one address is throttled (apps/accounts/throttle.py).
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 20)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)

# Reviewers and administrators sign in with a TOTP code too (apps/accounts/mfa.py): required in
# production, optional in debug runs (`make run`) unless MFA_REQUIRED says otherwise.
MFA_REQUIRED = env_bool("MFA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "pv-tracker"

# Sessions end after this much inactivity, and in any case this long after the login
# (apps/core/middleware.SessionLifetimeMiddleware); the cookie dies with the browser.
SESSION_IDLE_TIMEOUT_SECONDS = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_ABSOLUTE_LIFETIME_SECONDS = env_int("SESSION_ABSOLUTE_LIFETIME_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Aggregate reports: a running report whose worker has not finished within the lease is
# taken over by a redelivered message or the sweeper; queued ones older than the grace are re-queued.
REPORTS_LEASE_SECONDS = env_int("PV_REPORT_LEASE_SECONDS", 900)
REPORTS_REQUEUE_AFTER_SECONDS = env_int("PV_REPORT_REQUEUE_AFTER_SECONDS", 120)

# Content Security Policy: only the app's own files; an inline <script> needs
# nonce="{{ request.csp_nonce }}". Inline style attributes stay allowed (charts, progress bars).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Reasons for change are kept whole in the audit trail (simple-history's default column holds 100 characters).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Tables scroll inside their own box on narrow screens instead of widening the page.
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

# Most cases one E2B batch file may hold (it is built and validated in memory).
E2B_BATCH_MAX_CASES = env_int("E2B_BATCH_MAX_CASES", 500)

# REST API (apps/api): tokens for systems (one per user, revocable in the admin) and the browser's
# session; every action is denied unless apps/api/policy.py allows it.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.policy.ActionPolicy"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "pv-tracker API",
    "DESCRIPTION": "Patients, exposure periods, injection-site reactions, aggregate reports and reference "
                   "profiles, with the web's own rules and site scoping.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["apps.api.policy.MayUse"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "apps.api.schema.add_error_responses"],
    "ENUM_NAME_OVERRIDES": {"ReactionStatusEnum": "apps.reactions.choices.Status",
                            "ReportStatusEnum": "apps.reports.models.ReportStatus"},
}


# Written at image build time (Dockerfile): the code version every host of a release reports.
CODE_VERSION_FILE = BASE_DIR / "CODE_VERSION"

# Most rows a listing export may hold; 0: no limit (exports stream in constant memory).
EXPORT_MAX_ROWS = env_int("EXPORT_MAX_ROWS", 0)

# Largest CSV file the importer accepts, in bytes.
IMPORT_MAX_FILE_BYTES = env_int("IMPORT_MAX_FILE_BYTES", 200 * 1024 * 1024)
# Largest file the web upload accepts (it is kept in the database for the worker); bigger files
# go through the import_pv_csv command.
IMPORT_UPLOAD_MAX_BYTES = env_int("IMPORT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Progress of running web imports, shared by the worker and the web: Redis when the broker is Redis,
# else files under var/ (the embedded install runs both on one host).
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    PROGRESS_CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CELERY_BROKER_URL,
                      "KEY_PREFIX": "pv-progress"}
else:
    PROGRESS_CACHE = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                      "LOCATION": str(VAR_DIR / "progress")}
# The import progress cache beside the shared cache chosen by CACHE_URL above.
CACHES["progress"] = PROGRESS_CACHE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Trust X-Forwarded-Proto only behind a proxy that sets it (the compose file's Caddy), never by default:
    # a client could otherwise claim https itself.
    if env_bool("TRUST_PROXY_HEADERS", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
