"""What the WSGI and ASGI entry points check before they serve a request."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


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
