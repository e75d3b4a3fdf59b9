"""What the WSGI and ASGI entry points do before they serve a request.

They refuse to start without a secret key, bound every PostgreSQL statement a web
request runs (DB_STATEMENT_TIMEOUT) and plan it without parallel workers (DB_PARALLEL_WORKERS).
Commands (migrate on a large database, imports, the facet refresh) run through manage.py and
keep the server's defaults; the search bench sets the same parallel workers for its timed
queries (articles.bench.search).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.urls import get_resolver


def prepare():
    require_secret_key()
    bound_statements()
    serial_statements()
    # Import every view now rather than on each worker's first request (measured: a first
    # /healthz took 2-6 s on a loaded 2-core machine, the next ones 7 ms).
    get_resolver().url_patterns  # noqa: B018


HOSTS_HINT = (
    "ALLOWED_HOSTS is empty and DEBUG is off, so every request would be refused. For a local "
    "run set DEBUG=1 (make run does); to serve for real set ALLOWED_HOSTS=your.host.name "
    "(comma-separated) and SECRET_KEY (see .env.example)."
)


def require_allowed_hosts():
    """Refuse to serve with no host allowed, naming the variables to set (not Django's bare
    message). manage.py runserver asks it; gunicorn's hosts come from its environment."""
    if not settings.DEBUG and not settings.ALLOWED_HOSTS:
        raise ImproperlyConfigured(HOSTS_HINT)


def require_secret_key():
    """Refuse to serve without a secret key (sessions, CSRF and signing all need one)."""
    try:
        key = settings.SECRET_KEY  # Django raises on an empty one
    except ImproperlyConfigured:
        key = ""
    if not key:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (see .env.example); "
            "only a DEBUG=1 development run may serve without one."
        )


def bound_statements():
    """PostgreSQL cancels any statement of this process after DB_STATEMENT_TIMEOUT seconds.

    Set as a libpq startup option of every connection this process opens (no query per
    request); a cancelled statement is an OperationalError, answered 503 (newsbase.errors).
    """
    seconds = settings.DATABASE_STATEMENT_TIMEOUT
    if seconds:
        _startup_option("statement_timeout", seconds * 1000)


def serial_statements():
    """PostgreSQL starts at most DB_PARALLEL_WORKERS parallel workers for a statement of this
    process (default 0). A web request's statements are short: starting workers cost more than
    they saved (the search count statement over 60 popular drugs at 100k articles: p50 12.0 ms
    with two workers, 8.3 ms without), and concurrent requests already keep the cores busy.
    A libpq startup option: connections opened from now on."""
    _startup_option("max_parallel_workers_per_gather", settings.DATABASE_PARALLEL_WORKERS)


def _startup_option(name, value):
    for alias in connections:
        options = connections[alias].settings_dict.setdefault("OPTIONS", {})
        if connections[alias].vendor == "postgresql" and f"{name}=" not in options.get("options", ""):
            options["options"] = f"{options.get('options', '')} -c {name}={value}".strip()
