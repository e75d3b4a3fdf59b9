"""NewsBase settings, read from the environment (see .env.example)."""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name, default, unit="seconds"):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number of {unit}, not {value!r}.")
    return int(value)


def env_float(name, default, unit="seconds"):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:
        raise ImproperlyConfigured(f"{name} must be a number of {unit} (0 or more), not {value!r}.")
    return number


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

# Without DEBUG, the key comes from the environment or stays empty: the site refuses to
# serve without one (newsbase.serving), and Django refuses anything that would sign with
# it, while commands that need no key (migrate, makemigrations, load_vocabulary) still run.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'newsbase.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DATABASE_VENDOR = "postgresql" if "postgresql" in DATABASES["default"]["ENGINE"] else "sqlite"
# Bounded waits. A connection attempt gives up after DB_CONNECT_TIMEOUT seconds (PostgreSQL);
# a statement run for a web request after DB_STATEMENT_TIMEOUT seconds (PostgreSQL, applied by
# the WSGI/ASGI entry points only: see newsbase.serving; 0 = no limit), under gunicorn's
# 30 s worker timeout so that the answer is a 503 rather than a killed worker; SQLite waits
# DB_BUSY_TIMEOUT seconds for another writer's lock.
DATABASE_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
DATABASE_STATEMENT_TIMEOUT = env_int("DB_STATEMENT_TIMEOUT", 20)
# PostgreSQL parallel workers per statement of a web request (newsbase.serving; commands keep
# the server's setting).
DATABASE_PARALLEL_WORKERS = env_int("DB_PARALLEL_WORKERS", 0, unit="workers")
DATABASE_BUSY_TIMEOUT = env_int("DB_BUSY_TIMEOUT", 10)
if DATABASE_VENDOR == "sqlite":
    # WAL lets the demo server read while a command writes. IMMEDIATE: a transaction takes
    # the write lock when it begins, so two writers (background workers) wait for each
    # other (DB_BUSY_TIMEOUT) instead of one failing at once with "database is locked" when
    # a transaction that read first tries to write (bench --feeds, 2 workers: 199 of 1,000
    # items had to be tried again before; none since).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": DATABASE_BUSY_TIMEOUT,
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    # PostgreSQL's JIT compiles plans for "expensive" queries; for the short, indexed
    # queries of a web page it only adds 100-400 ms (measured on the admin's counts).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    *(["django.contrib.postgres"] if DATABASE_VENDOR == "postgresql" else []),
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files (no CDN)
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "modelsearch",
    "axes",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so that a still-valid conditional GET is a 304 before sessions or views run, and
    # late in the answer, so that it sees every cookie set (newsbase.httpcache).
    "newsbase.httpcache.PublicCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "newsbase.security.SecurityHeadersMiddleware",
    # Late, so that it sees a view's exception first: the database out is a 503, not a 500.
    "newsbase.errors.DatabaseOutageMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Caches: local memory per process by default; Redis (shared by every process) when REDIS_URL
# is set. "search" holds resolved queries and result counts (articles.search.cache), keyed by
# the content stamp, so a change is seen by every process at once whichever backend.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    _cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
else:
    _cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
CACHES = {
    "default": {**_cache, "KEY_PREFIX": "newsbase"},
    "search": {**_cache, "KEY_PREFIX": "newsbase-search", "OPTIONS": {} if REDIS_URL else {"MAX_ENTRIES": 5000}},
}
SEARCH_CACHE_SECONDS = env_int("SEARCH_CACHE_SECONDS", 300)
# Anonymous public pages and feeds: validators always, and this max-age for shared caches (0: off).
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 60)

AUTHENTICATION_BACKENDS = [
    # Refuses any login for a username and address locked out, before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "newsbase.urls"
CSRF_FAILURE_VIEW = "newsbase.errors.csrf_failure"

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

WSGI_APPLICATION = "newsbase.wsgi.application"
ASGI_APPLICATION = "newsbase.asgi.application"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The search index lives in the same database (SQLite FTS5 or PostgreSQL FTS).
MODELSEARCH_BACKENDS = {"default": {"BACKEND": "modelsearch.backends.database"}}
# Index updates run in-process, right after the write.
# The largest story text one imported record may carry (articles.ingest.extract).
IMPORT_MAX_BODY_BYTES = env_int("IMPORT_MAX_BODY_BYTES", 1_000_000, unit="bytes")

# Background jobs (admin imports, articles.tasks): queued in the database, run by
# `manage.py db_worker` (`make run` starts one; in production run workers as their own processes).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Following outlets' feeds (articles.ingest.feeds): politeness and bounds of every fetch.
# FETCH_ALLOW_PRIVATE=1 lets fetches reach loopback addresses (tests only); private and
# link-local addresses are always refused.
FETCH_ALLOW_PRIVATE = env_bool("FETCH_ALLOW_PRIVATE", False)
FETCH_HOST_DELAY = env_float("FETCH_HOST_DELAY", 2.0)  # seconds between requests to one host
FETCH_CONNECT_TIMEOUT = env_float("FETCH_CONNECT_TIMEOUT", 5.0)
FETCH_READ_TIMEOUT = env_float("FETCH_READ_TIMEOUT", 20.0)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 5_000_000, unit="bytes")
FETCH_MAX_REDIRECTS = env_int("FETCH_MAX_REDIRECTS", 5, unit="redirects")
FETCH_USER_AGENT = os.environ.get("FETCH_USER_AGENT", "") or "NewsBase feed follower (+https://github.com/newsbase)"
# A failing feed waits poll interval × 2^failures, at most this long.
FEED_MAX_BACKOFF_MINUTES = env_int("FEED_MAX_BACKOFF_MINUTES", 24 * 60, unit="minutes")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "articles.api.pagination.ArticlePagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NewsBase API",
    "DESCRIPTION": "Medical news linked to conditions (MeSH), drugs (DrugBank) and institutions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # 400/404 (and 301 on details) declared on every operation (articles.api.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "articles.api.schema.declare_error_responses",
    ],
    # /api/docs/: Swagger UI from drf-spectacular-sidecar's static files; no online validator badge.
    "SWAGGER_UI_DIST": "SIDECAR",
    # The API is public and read-only: no "Authorize" button nor lock icons in the reference.
    "AUTHENTICATION_WHITELIST": [],
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --------------------------------------------------------------------------- security

# Behind a TLS-terminating reverse proxy (README, "Production"): only then is its
# X-Forwarded-Proto believed (a client talking to gunicorn directly could send one), is
# plain HTTP redirected to HTTPS, and is a client's address the last X-Forwarded-For entry
# (the one the proxy appended; newsbase.security.client_ip).
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=BEHIND_PROXY and not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers check over plain HTTP

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    # HSTS: sent only on HTTPS answers; browsers then refuse plain HTTP for the host (and
    # its subdomains) for a year. HSTS_SECONDS=0 turns it off.
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", default=True)

# Content-Security-Policy (newsbase.security): script and style only from our own static
# files (nothing inline, no CDN), no plugins, no framing, forms posted to this site only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

# Login throttling (django-axes): LOGIN_FAILURE_LIMIT failed logins for one username from
# one address lock that pair out for LOGIN_LOCKOUT_MINUTES; other users and addresses are
# unaffected. Unlock with `manage.py axes_reset_username NAME` or `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, unit="attempts")
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, unit="minutes"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_CLIENT_IP_CALLABLE = "newsbase.security.client_ip"
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # A database outage: one line when it starts, one when it ends (an INFO line).
    "loggers": {"newsbase.outage": {"level": "INFO"}},
}
