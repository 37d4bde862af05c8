"""Django settings for Backstock.

Everything that changes between environments comes from environment variables
(see README "Configuration"). The defaults are for a developer's machine; with
DJANGO_DEBUG=0 and the documented variables set, `manage.py check --deploy` is clean.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from inventory_site.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("BACKSTOCK_DATA_DIR", str(BASE_DIR / ".data")))

DEBUG = env_bool("DJANGO_DEBUG", default=False)

_INSECURE_DEV_KEY = "django-insecure-backstock-development-key-change-me"
SECRET_KEY = env_str("SECRET_KEY") or env_str("DJANGO_SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG and not env_bool("BACKSTOCK_ALLOW_DEV_SECRET", default=False):
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = _INSECURE_DEV_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Project apps first: inventory_site overrides `migrate` (see its command).
    "inventory_site",
    "venues",
    "distributors",
    "items",
    "invoices",
    "backorders",
    "channels",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "pgtrigger",
    "django_htmx",
    "template_partials",
    "axes",
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
    "django_htmx.middleware.HtmxMiddleware",
    "inventory_site.middleware.TenantMiddleware",
    # Axes goes last so it sees the final authentication result.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "inventory_site.urls"
WSGI_APPLICATION = "inventory_site.wsgi.application"

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
                "inventory_site.context_processors.tenancy",
            ],
            # {% partialdef %} in every template without a {% load %} (HTMX partials, see STYLE.md).
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL names the owning role (it runs migrations). At run time every connection
# switches to the non-superuser APP_DB_ROLE, so PostgreSQL row-level security applies to all
# application queries; see inventory_site/db_backend and inventory_site/tenancy.py.
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    from inventory_site import devstack

    DATABASE_URL = devstack.embedded_database_url()

APP_DB_ROLE = env_str("APP_DB_ROLE", "backstock_app")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
_db["ENGINE"] = "inventory_site.db_backend"
_db.setdefault("OPTIONS", {})["assume_role"] = APP_DB_ROLE
_db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if not REDIS_URL:
    from inventory_site import devstack

    REDIS_URL = devstack.embedded_redis_url()

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "backstock"),
    }
}


def _celery_url(redis_url: str) -> str:
    # redis-py spells a unix socket unix:///path; kombu wants redis+socket:///path.
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url


CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or _celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or _celery_url(REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "backstock")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 3600
# A task a killed worker had started (acks late) is handed out again after this many seconds.
# Tasks here take seconds; Redis's default of an hour would leave a feed document waiting that long
# (the document sweeper catches it after two minutes anyway).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600)}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {"task": "inventory_site.tasks.heartbeat_task", "schedule": 30.0},
    # `expires`: while no worker runs, beat's ticks are dropped instead of piling up.
    "invoice-feeds": {"task": "invoices.tasks.enqueue_due_feeds", "schedule": 5.0, "options": {"expires": 5}},
    "invoice-documents-sweeper": {"task": "invoices.tasks.requeue_stale_documents", "schedule": 60.0,
                                  "options": {"expires": 60}},
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "venues.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lock an account+address pair out after repeated failures; it unlocks by itself.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# --- Sessions and security -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz is polled over plain HTTP by load balancers inside the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)  # seconds; a slow mail server must not stall a worker
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Backstock <no-reply@backstock.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in notification emails start with this (no trailing slash needed).
SITE_URL = env_str("SITE_URL", "http://localhost:8000")

# --- Product Connect ------------------------------------------------------------------------
# Drop-folder feeds live under this folder, one subfolder per organization (FEEDS_DIR/<org slug>/…):
# a feed may not read anywhere else on the server.
FEEDS_DIR = Path(env_str("BACKSTOCK_FEEDS_DIR", str(DATA_DIR / "feeds")))
# HTTP feeds on loopback / private / link-local addresses are refused unless this is on (a
# distributor reached over a private link; the tests' local fake distributor).
FEEDS_ALLOW_PRIVATE_ADDRESSES = env_bool("FEEDS_ALLOW_PRIVATE_ADDRESSES", False)
# Uploaded invoice copies (PDF/JPG/PNG) larger than this are refused.
INVOICE_ATTACHMENT_MAX_BYTES = env_int("INVOICE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# A line whose unit cost moved more than this (percent) from the item's last cost is flagged.
INVOICE_PRICE_CHANGE_FLAG_PERCENT = env_int("INVOICE_PRICE_CHANGE_FLAG_PERCENT", 10)

# --- I18N, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("BACKSTOCK_PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
