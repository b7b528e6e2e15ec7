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
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

# Lets admin and form classes be subscripted for type checking (ModelAdmin[Company]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
LOCAL_ENV_FILE = BASE_DIR / "local.env"
if LOCAL_ENV_FILE.exists():
    env.read_env(LOCAL_ENV_FILE, overwrite=False)

TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]
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
    "simple_history",
    "django_countries",
    "companies",
    "funding",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Options are set here, not in DATABASE_URL: django-environ passes URL
    # query values through as strings ("false" would be truthy).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
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

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Roundbook API",
    "DESCRIPTION": "AI-startup funding rounds, companies, investors and valuations.",
    "VERSION": "1.0.0",
}

# --- Currency conversion ------------------------------------------------------
# A stored or packaged ECB rate older than this (relative to the round's date)
# is not used: the USD figure stays empty rather than wrong.
EXCHANGE_RATE_MAX_AGE_DAYS = env.int("EXCHANGE_RATE_MAX_AGE_DAYS", default=31)

# --- Logging: JSON lines to stdout --------------------------------------------
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Imports (issue 5) ----------------------------------------------------------
# Uploaded files wait here for the worker: share it between web and workers.
IMPORT_UPLOAD_DIR = Path(env.str("IMPORT_UPLOAD_DIR", default=str(BASE_DIR / "media" / "imports")))
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
IMPORT_FETCH_TIMEOUT = env.float("IMPORT_FETCH_TIMEOUT", default=30.0)
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=2000)
# e.g. {"visibility_timeout": 3600}: how long an unacknowledged task (its worker died)
# waits before Redis hands it to another worker.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = env.json(
    "CELERY_BROKER_TRANSPORT_OPTIONS", default={}
)
CELERY_BEAT_SCHEDULE = {
    "import-sources-due": {"task": "funding.tasks.import_sources_run_due", "schedule": 60.0},
}
# --- end imports ----------------------------------------------------------------
