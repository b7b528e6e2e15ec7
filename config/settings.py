"""Roundbook settings: one module, configured by environment variables.

Every setting has a safe development default. With DEBUG off, a missing or
weak SECRET_KEY stops start-up. `make run` writes a generated key and
DEBUG=True into the untracked `local.env`, which is read here so that a plain
`python manage.py ...` in the checkout uses the same local configuration.
Variables set in the real environment always win over `local.env`.
"""

from __future__ import annotations

import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.log import logging_config

# Lets admin and form classes be subscripted for type checking (ModelAdmin[Company]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]

env = environ.Env()
LOCAL_ENV_FILE = BASE_DIR / "local.env"
# The test suite sees only the real environment, whatever `make run` wrote.
if LOCAL_ENV_FILE.exists() and not TESTING:
    env.read_env(LOCAL_ENV_FILE, overwrite=False)
# mypy's Django plugin imports these settings to read the models; it serves nothing.
TYPECHECKING = "mypy" in sys.modules

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """A boolean variable; anything but true/false/yes/no/on/off/1/0 stops start-up."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use True or False.")


DEBUG = env_bool("DEBUG", default=False)

# --- Secret key ---------------------------------------------------------------
_WEAK_KEY_MIN_LENGTH = 50
_WEAK_KEY_MIN_UNIQUE = 5


def _secret_key() -> str:
    key: str = env.str("SECRET_KEY", default="")
    weak = (
        len(key) < _WEAK_KEY_MIN_LENGTH
        or len(set(key)) < _WEAK_KEY_MIN_UNIQUE
        or key.startswith("django-insecure")
        or key.lower() in {"changeme", "change-me", "secret"}
    )
    if not weak:
        return key
    if TESTING or TYPECHECKING or DEBUG:
        # Development only: a key that changes with every process (sessions do
        # not survive a restart). `make run` writes a lasting one to local.env.
        return key or secrets.token_urlsafe(64)
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or weak (it needs at least 50 characters with "
        "5 or more distinct ones, and no 'django-insecure' prefix). Generate one with: "
        'python -c "import secrets; print(secrets.token_urlsafe(64))"'
    )


SECRET_KEY = _secret_key()

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Trust X-Forwarded-Proto only behind a TLS-terminating proxy that sets it.
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY", default=False)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- HTTPS, security headers and cookies ----------------------------------------
# Production (DEBUG off) is served over TLS only, directly or behind the proxy
# above. `make run` serves plain http on loopback, where browsers refuse Secure
# and __Host- cookies, so the local server keeps Django's plain cookie names.
SECURE_SSL_REDIRECT = not DEBUG
# Container health probes speak plain http to the app server.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Sent on HTTPS responses only. Preload is only a token: submitting the domain to
# the browsers' preload list stays the operator's decision.
SECURE_HSTS_SECONDS = 0 if DEBUG else 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_NAME = "sessionid" if DEBUG else "__Host-sessionid"
CSRF_COOKIE_NAME = "csrftoken" if DEBUG else "__Host-csrftoken"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# Everything is served from this origin; inline <script> and <style> need the
# per-response nonce ({{ csp_nonce }} or {% csp_nonce_attr %} in templates).
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}

# --- Applications -------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally, no CDN
    "knox",  # hashed API tokens
    "simple_history",
    "django_countries",
    "axes",
    "companies",
    "funding",
    "api",  # what every API endpoint shares
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, so that static files get the policy too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a lockout into a 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's, keeping triggers when a migration rebuilds a table (config/sqlite).
    DATABASES["default"]["ENGINE"] = "config.sqlite"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Options are set here, not in DATABASE_URL: django-environ passes URL
    # query values through as strings ("false" would be truthy).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side binding lets psycopg prepare a statement run twice on the same
    # connection: PostgreSQL then skips parsing and planning (about 1 ms on a
    # rounds page). Behind PgBouncer in transaction mode older than 1.21, or any
    # pooler that cannot track prepared statements, set DATABASE_PREPARED_STATEMENTS=False.
    if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": 2,
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
REDIS_URL: str = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "roundbook",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Figures over every round (the dashboard's, the rounds count) are cached only in a
# cache every process shares: a per-process cache would miss the writes of the
# other workers, the Celery workers and the import command (see funding.versions).
CACHE_ROUND_FIGURES = bool(REDIS_URL)

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login protection (django-axes, rules in config/login.py): a username from one client
# address is locked for 15 minutes after 5 failures (an attacker's address locks
# itself, not the admin's), and an account from every address once 20 passwords
# failed for it within an hour. A locked attempt gets 429 with Retry-After. Lockouts
# are logged (logger "axes") and listed in the admin; unlock early with
# `manage.py axes_reset_username USERNAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "config.login.LoginLockoutHandler"
AXES_LOCKOUT_CALLABLE = "config.login.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "config.proxy.client_ip"
LOGIN_ACCOUNT_FAILURE_LIMIT = 20
LOGIN_ACCOUNT_WINDOW = timedelta(hours=1)
# Name the account and address in lockout logs: that is what an operator acts on.
AXES_SENSITIVE_PARAMETERS: list[str] = []

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Celery -------------------------------------------------------------------
# Without a broker, tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND: str | None = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE

# --- REST framework (the API) --------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],
    # Token first: a request without credentials gets 401 with `WWW-Authenticate: Token`.
    # Sessions serve the docs page's "Try it out" for a logged-in admin, with CSRF.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonRateThrottle",
        "api.throttling.TokenRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Anonymous clients are throttled by REMOTE_ADDR, or by the address the proxy saw.
    "NUM_PROXIES": 1 if BEHIND_HTTPS_PROXY else 0,
}
API_THROTTLE_RATES = {
    "anon": env.str("API_THROTTLE_ANON", default="300/minute"),
    "token": env.str("API_THROTTLE_TOKEN", default="3000/minute"),
}
REST_KNOX = {"TOKEN_TTL": None, "AUTH_HEADER_PREFIX": "Token"}
SPECTACULAR_SETTINGS = {
    "TITLE": "Roundbook API",
    "DESCRIPTION": "AI-startup funding rounds, companies, investors and valuations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CountryEnum": "companies.models.COUNTRY_CODES",
        "CurrencyEnum": "funding.models.CURRENCY_CODES",
        "RoundStatusEnum": "funding.models.RoundStatus",
        "CompanyStatusEnum": "companies.models.CompanyStatus",
    },
}

# --- Currency conversion ------------------------------------------------------
# A stored or packaged ECB rate older than this (relative to the round's date)
# is not used: the USD figure stays empty rather than wrong.
EXCHANGE_RATE_MAX_AGE_DAYS = env.int("EXCHANGE_RATE_MAX_AGE_DAYS", default=31)

# --- Logging: JSON lines to stdout --------------------------------------------
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOGGING = logging_config(
    LOG_LEVEL,
    loggers={
        "django.db.backends": {"level": "INFO"},
        # Its start-up line in every process (commands whose stdout is data included).
        "axes": {"level": "WARNING"},
    },
)
# Celery workers and beat log through LOGGING too, instead of their own text format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Imports ------------------------------------------------------------------
# Uploaded files wait here for the worker: share it between web and workers.
IMPORT_UPLOAD_DIR = Path(env.str("IMPORT_UPLOAD_DIR", default=str(BASE_DIR / "media" / "imports")))
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
# What an uploaded or fetched archive may unpack to (a zip bomb is refused before reading).
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=2 * 1024**3)
# Fetching a URL: seconds any one network operation may wait, and the whole fetch may take
# (a source that sends a byte a second never times out an operation, but meets the deadline).
IMPORT_FETCH_TIMEOUT = env.float("IMPORT_FETCH_TIMEOUT", default=30.0)
IMPORT_FETCH_DEADLINE = env.float("IMPORT_FETCH_DEADLINE", default=60.0)
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=2000)
# News (`manage.py extract_round`): the largest article page or feed read, fetched or on disk.
NEWS_MAX_BYTES = env.int("NEWS_MAX_BYTES", default=5 * 1024 * 1024)
# What reading one run's files may take: lines (blank ones included; a full Crunchbase
# export holds a few million) and seconds (keep it under the visibility timeout below).
IMPORT_MAX_LINES = env.int("IMPORT_MAX_LINES", default=20_000_000)
IMPORT_MAX_READ_SECONDS = env.float("IMPORT_MAX_READ_SECONDS", default=300.0)
# A task whose worker died stays unacknowledged (acks late); Redis hands it to another
# worker once it has been out for the visibility timeout, which must exceed the longest
# task (a chunk takes seconds; reading is bounded by IMPORT_MAX_READ_SECONDS). kombu looks
# for such tasks every unacked_restore_interval x unacked_restore_throttle seconds (its
# defaults: an hour, checked about every 100 s). CELERY_BROKER_TRANSPORT_OPTIONS (JSON)
# overrides any of these.
_transport_overrides: dict[str, Any] = env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={})
CELERY_VISIBILITY_TIMEOUT = int(
    _transport_overrides.get(
        "visibility_timeout", env.int("CELERY_VISIBILITY_TIMEOUT", default=600)
    )
)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    **_transport_overrides,
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
}
# A queued or running import with no progress this long is resumed (its task is enqueued
# again) by a periodic task, at most IMPORT_RUN_MAX_RESUMES times, then failed with a
# message. A minute past the visibility timeout: the broker's own redelivery comes first.
IMPORT_RUN_STALLED_SECONDS = env.int(
    "IMPORT_RUN_STALLED_SECONDS", default=CELERY_VISIBILITY_TIMEOUT + 60
)
IMPORT_RUN_MAX_RESUMES = env.int("IMPORT_RUN_MAX_RESUMES", default=3)
CELERY_BEAT_SCHEDULE = {
    "import-sources-due": {"task": "funding.tasks.import_sources_run_due", "schedule": 60.0},
    "import-runs-resume-stalled": {
        "task": "funding.tasks.import_runs_resume_stalled",
        "schedule": 60.0,
    },
}
