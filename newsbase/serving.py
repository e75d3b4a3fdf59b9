"""What the WSGI and ASGI entry points do before they serve a request.

They refuse to start without a secret key, and bound every PostgreSQL statement a web
request runs (DB_STATEMENT_TIMEOUT). Commands (migrate on a large database, imports, the
bench) run through manage.py and are not cut short.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.urls import get_resolver


def prepare():
    require_secret_key()
    bound_statements()
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
    for alias in connections:
        options = connections[alias].settings_dict.setdefault("OPTIONS", {})
        if (
            seconds
            and connections[alias].vendor == "postgresql"
            and "statement_timeout" not in options.get("options", "")
        ):
            options["options"] = f"{options.get('options', '')} -c statement_timeout={seconds * 1000}".strip()
