"""Kesu settings: one module, every deployment value from a KESU_* variable.

`.env.example` lists and explains each variable. Development defaults are safe on a
laptop; with KESU_DEBUG=0 the secrets must be set or start-up stops with a message.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kesu.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
HOME_DIR = Path(env_str("KESU_HOME", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("KESU_DEBUG", default=True)
HTTPS = env_bool("KESU_HTTPS", default=not DEBUG)

_DEV_SECRET = "kesu-dev-only-secret-key-never-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = env_str("KESU_SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Set KESU_SECRET_KEY (50+ random characters) when KESU_DEBUG=0."
    )

# Personal data keys (R-SEC-2). KESU_PII_KEYS: comma-separated Fernet keys, newest
# first; older keys stay for reading until `kesu reencrypt_pii` rewrote every row.
_DEV_PII_KEY = "a2VzdS1kZXYtb25seS1waWkta2V5LTMyLWJ5dGVzISE="
PII_KEYS = env_list("KESU_PII_KEYS", [_DEV_PII_KEY] if DEBUG else [])
BLIND_INDEX_KEY = env_str(
    "KESU_BLIND_INDEX_KEY", "kesu-dev-blind-index-key" if DEBUG else ""
)
if not PII_KEYS or not BLIND_INDEX_KEY:
    raise ImproperlyConfigured(
        "Set KESU_PII_KEYS and KESU_BLIND_INDEX_KEY when KESU_DEBUG=0 "
        "(generate them with `kesu genkeys`)."
    )

ALLOWED_HOSTS = env_list("KESU_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("KESU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "ninja",  # serves the API docs' Swagger UI locally: no CDN
    "kesu.core",
    "kesu.accounts",
    "kesu.privacy",
    "kesu.cases",
    "kesu.sla",
    "kesu.notifications",
    "kesu.intake",
    "kesu.triage",
    "kesu.api",
    "kesu.web",
    "kesu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kesu.urls"
WSGI_APPLICATION = "kesu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kesu.web.context_processors.kesu",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    default_sqlite = f"sqlite:///{HOME_DIR / 'kesu.sqlite3'}"
    config: dict[str, object] = dict(
        dj_database_url.parse(
            env_str("KESU_DATABASE_URL", default_sqlite), conn_max_age=0
        )
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        HOME_DIR.mkdir(parents=True, exist_ok=True)
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock
        # at BEGIN, so writers queue on the timeout instead of failing to upgrade.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        config.setdefault("TEST", {"NAME": str(HOME_DIR / "test.sqlite3")})
        # Kept open as PostgreSQL's are: a fresh SQLite connection runs the PRAGMAs,
        # parses the schema and starts with a cold page cache on every request
        # (bench/RESULTS.md "Intake").
        config["CONN_MAX_AGE"] = env_int("KESU_DB_CONN_MAX_AGE", 60)
    else:
        config["CONN_MAX_AGE"] = env_int("KESU_DB_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "cases:list"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("KESU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("KESU_MEDIA_ROOT", str(HOME_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

TASKS = {
    "default": {
        "BACKEND": env_str("KESU_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Hardening (R-SEC-6).
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("KESU_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("KESU_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
AXES_FAILURE_LIMIT = env_int("KESU_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

EMAIL_HOST = env_str("KESU_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KESU_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("KESU_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("KESU_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("KESU_EMAIL_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("KESU_EMAIL_FROM", "kesu@localhost")
EMAIL_BACKEND = env_str(
    "KESU_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)

# Business rules that differ per deployment.
KESU_COMPENSATION_APPROVAL_THRESHOLD = env_int(
    "KESU_COMPENSATION_APPROVAL_THRESHOLD", 500
)
KESU_PAGE_SIZE = env_int("KESU_PAGE_SIZE", 25)
# The "breaching soon" queue: running deadlines due within this many hours.
KESU_SLA_SOON_HOURS = env_int("KESU_SLA_SOON_HOURS", 4)
# How often the task worker sweeps for deadline checkpoints it missed.
KESU_SLA_RECONCILE_MINUTES = env_int("KESU_SLA_RECONCILE_MINUTES", 5)

# Intake (kesu/intake): who owns complaints no agent took when their store has no
# agent (username), and the public form's limit of submissions per IP and window.
KESU_INTAKE_OWNER = env_str("KESU_INTAKE_OWNER")
KESU_INTAKE_FORM_RATE = env_int("KESU_INTAKE_FORM_RATE", 10)
KESU_INTAKE_FORM_RATE_WINDOW = env_int("KESU_INTAKE_FORM_RATE_WINDOW", 3600)

# Triage (kesu/triage): a model suggestion at least this confident is applied to a new
# case, a weaker one is only recorded for staff; a complaint from the same customer
# about the same product or category within this many days is a repeat (R-CL-5).
KESU_TRIAGE_APPLY_CONFIDENCE = float(env_str("KESU_TRIAGE_APPLY_CONFIDENCE", "0.9"))
if not 0.0 <= KESU_TRIAGE_APPLY_CONFIDENCE <= 1.0:
    raise ImproperlyConfigured("KESU_TRIAGE_APPLY_CONFIDENCE must lie in [0, 1].")
KESU_REPEAT_WINDOW_DAYS = env_int("KESU_REPEAT_WINDOW_DAYS", 30)
# The task worker retrains the triage model once this many staff overrides came in
# since the last retraining (checked hourly); 0 turns the periodic retraining off.
KESU_TRIAGE_RETRAIN_MIN_NEW = env_int("KESU_TRIAGE_RETRAIN_MIN_NEW", 50)
# Near-duplicates (R-CL-5): complaints whose texts share at least this estimated
# Jaccard similarity of character trigrams are one cluster (0.5 measured: bench/
# RESULTS.md "Near-duplicates"); a cluster with this many open cases received within
# this many days is shown as a batch problem.
KESU_NEAR_DUP_SIMILARITY = float(env_str("KESU_NEAR_DUP_SIMILARITY", "0.5"))
if not 0.0 < KESU_NEAR_DUP_SIMILARITY <= 1.0:
    raise ImproperlyConfigured("KESU_NEAR_DUP_SIMILARITY must lie in (0, 1].")
KESU_BATCH_PROBLEM_SIZE = env_int("KESU_BATCH_PROBLEM_SIZE", 5)
KESU_BATCH_PROBLEM_WINDOW_DAYS = env_int("KESU_BATCH_PROBLEM_WINDOW_DAYS", 30)

# Feature apps that follow every case event (see kesu/cases/services/events.py).
KESU_CASE_EVENT_HANDLERS: list[str] = [
    "kesu.sla.services.on_case_event",
    "kesu.triage.services.on_case_event",
]
# The case detail the API serves: `kesu.cases.schemas.CaseDetailOut` or a feature
# app's extension of it (triage adds its card).
KESU_CASE_DETAIL_SCHEMA = "kesu.triage.api.TriagedCaseDetailOut"
# Called by `kesu serve` once its task worker runs: they seed periodic task chains.
KESU_WORKER_STARTUP: list[str] = [
    "kesu.sla.services.reconcile_sweep_start",
    "kesu.triage.services.retraining.retrain_sweep_start",
]

# `kesu serve`: gunicorn's listen address and worker process count.
KESU_BIND = env_str("KESU_BIND", "127.0.0.1:8000")
KESU_WEB_WORKERS = env_int("KESU_WEB_WORKERS", 2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KESU_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
