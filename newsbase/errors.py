"""Error answers: JSON under /api/, the site's HTML pages elsewhere, 503 while the database is out.

Django calls these for errors raised outside DRF's own handling: a URL under /api/ that
matches no route, a SuspiciousOperation (a disallowed Host header, too many fields) before
any view runs, a CSRF failure, an uncaught exception. DRF's views answer their own errors
in JSON already. The pages never ask the request for its host (``request.get_host`` raises
again on the disallowed Host that brought us here) nor the database.
"""

import logging
import sys

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.html import escape

from . import outage

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
RETRY_AFTER = 30  # seconds a client is asked to wait while the database is out
OUTAGE_DETAIL = "The database is temporarily unavailable; try again shortly."


def is_api(request):
    return request.path_info.startswith(API_PREFIX) or request.path_info == API_PREFIX.rstrip("/")


def _answer(request, status, detail, template, context=None, *, show_request=True):
    """JSON {"detail"} under /api/, else the template. No context processors (they may touch the
    session, hence the database); the template gets the request itself for the header's search
    box and navigation, unless reading it is what failed (`show_request=False`)."""
    if is_api(request):
        return JsonResponse({"detail": detail}, status=status)
    try:
        html = loader.render_to_string(template, {"request": request if show_request else None, **(context or {})})
    except Exception:  # an error page must not fail in turn (say, static files not collected)
        logger.exception("The %s page could not be rendered", status)
        html = f"<!doctype html><title>{status}</title><h1>{escape(detail)}</h1>"
    return HttpResponse(html, status=status)


def bad_request(request, exception, template_name="400.html"):
    """400. A BadRequest raised by our views carries a message written for the reader (which
    parameter was wrong); other causes (suspicious operations) are not described."""
    ours = type(exception) is BadRequest
    message = str(exception) if ours else ""
    context = {"exception": message}
    # A SuspiciousOperation may be the request's own Host or query string: not read again.
    return _answer(request, 400, message or "Bad request.", template_name, context, show_request=ours)


def permission_denied(request, exception, template_name="403.html"):
    if is_admin(request):
        return admin_permission_denied(request, exception)
    return _answer(request, 403, "You do not have permission to do this.", template_name)


# --------------------------------------------------------------------------- the admin's 403

# The permission an admin page needs, by the last part of its URL name ("articles_condition_merge").
ADMIN_ACTION_PERMISSION = {
    "changelist": "view",
    "change": "change",
    "history": "view",
    "simple_history": "change",
    "add": "add",
    "delete": "delete",
    "merge": "merge",
}
SPECIAL_PERMISSION = {"articles_article_import": "import_articles"}


def is_admin(request):
    try:
        return request.path_info.startswith(reverse("admin:index"))
    except NoReverseMatch:
        return False


def needed_permission(request):
    """(codename, what the page does) for the admin page asked for, or (None, "")."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None, ""
    name = match.url_name or ""
    if name in SPECIAL_PERMISSION:
        return SPECIAL_PERMISSION[name], "import articles"
    for action, verb in ADMIN_ACTION_PERMISSION.items():
        suffix = f"_{action}"
        if name.endswith(suffix) and name.count("_") >= 2:
            model = name[: -len(suffix)].split("_", 1)[1]
            return f"{verb}_{model}", f"{verb} {model.replace('_', ' ')}s"
    return None, ""


def admin_permission_denied(request, exception):
    """A styled admin page naming the role the page needs and the roles the user has."""
    from django.contrib import admin
    from django.contrib.auth.models import Group

    codename, what = needed_permission(request)
    context = {"title": "You need another role for this page", "what": what, "detail": ""}
    if isinstance(exception, PermissionDenied) and exception.args and isinstance(exception.args[0], str):
        context["detail"] = exception.args[0]
    try:
        if codename:
            groups = Group.objects.filter(permissions__codename=codename).order_by("name")
            context["roles"] = list(groups.values_list("name", flat=True).distinct())
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["your_roles"] = list(user.groups.order_by("name").values_list("name", flat=True))
        context.update(admin.site.each_context(request))
        html = loader.render_to_string("admin/403.html", context, request=request)
    except Exception:  # the plain page rather than a second failure
        logger.exception("The admin 403 page could not be rendered")
        return _answer(request, 403, "You do not have permission to do this.", "403.html")
    return HttpResponse(html, status=403)


def csrf_failure(request, reason="", template_name="403.html"):
    """403 for a form posted without its CSRF token (CSRF_FAILURE_VIEW)."""
    detail = "The form could not be verified (CSRF). Reload the page and send it again."
    return _answer(request, 403, detail, template_name, {"csrf": True})


def page_not_found(request, exception, template_name="404.html"):
    # Only our own Http404 messages are shown; the resolver's carries the URL patterns tried.
    message = exception.args[0] if exception.args and isinstance(exception.args[0], str) else ""
    return _answer(request, 404, message or "Not found.", template_name, {"exception": message})


def server_error(request, template_name="500.html"):
    """500, or 503 when what failed was the database (raised outside a view: a middleware)."""
    exc = sys.exc_info()[1]
    if isinstance(exc, outage.OUTAGE_ERRORS):
        return service_unavailable(request, exc)
    return _answer(request, 500, "Server error: it has been logged.", template_name)


def service_unavailable(request, exc):
    """503 with Retry-After while the database does not answer; the outage is logged once (newsbase.outage)."""
    outage.record(exc)
    response = _answer(request, 503, OUTAGE_DETAIL, "503.html", {"retry_after": RETRY_AFTER})
    response["Retry-After"] = str(RETRY_AFTER)
    # Django logs every answer >= 400 with the path ("Service Unavailable: /articles/"), one line
    # a request; this one is accounted for by newsbase.outage. The flag is Django's own
    # (django.utils.log.log_response) for a response already logged.
    response._has_been_logged = True
    return response


class DatabaseOutageMiddleware:
    """A view (or its template) that fails because the database is out answers 503, not 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, outage.OUTAGE_ERRORS):
            return service_unavailable(request, exception)
        return None
