"""Site-wide endpoints that are not pages: the health check, and the 400 handler."""

import logging

from django.core.exceptions import BadRequest
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """200 {"status": "ok", "database": "ok"} when the database answers a query, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def bad_request(request, exception, template_name="400.html"):
    """400 page. A BadRequest raised by our views carries a message written for the reader
    (which parameter was wrong); other causes (suspicious operations) are not described."""
    message = str(exception) if type(exception) is BadRequest else ""
    return render(request, template_name, {"exception": message}, status=400)
