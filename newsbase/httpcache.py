"""HTTP caching of anonymous public pages and feeds: ETag, Last-Modified, Cache-Control, 304.

A page's validators are the content stamp (``articles.stamp``: it changes whenever anything a
reader sees may have changed) with the request's path, query string and Accept header. A
conditional GET whose If-None-Match (or If-Modified-Since) still holds is answered 304 before
any view runs: one query, the stamp. Only for anonymous GET/HEAD requests (no session cookie),
never under the admin or the accounts pages, never for a response that sets a cookie, is not
200, or says its own Cache-Control (``never_cache``…). Logged-in readers and editors get
their pages as before. PUBLIC_CACHE_SECONDS (0: off) is the max-age shared caches may serve
a page without asking.

The same answers are kept whole in the ``search`` cache under their ETag (for at most
SEARCH_CACHE_SECONDS; 0: not kept): a page many anonymous readers ask for is rendered once
per content stamp, in each process (local memory) or once for all (Redis). The ETag covers
what a page is built from: the stamp, the scheme, host, path and query, and Accept.
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError
from django.http import HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from articles import stamp

from . import errors, outage

# Not readers' content (the API's schema and docs depend on the code alone), or never cached.
SKIPPED = ("/admin/", "/accounts/", "/healthz", "/static/", "/api/schema/", "/api/docs/")
PAGE_CACHE = "search"


def _page_cache_key(request, etag):
    """Where a whole GET answer is kept (None: not kept)."""
    if request.method != "GET" or not settings.SEARCH_CACHE_SECONDS:
        return None
    return f"nb:page:{etag.strip(chr(34))}"


def _eligible(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.PUBLIC_CACHE_SECONDS > 0
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path.startswith(SKIPPED)
    )


def _etag(request, token):
    """The validator; raises DisallowedHost for a Host the site does not serve (the view then answers 400)."""
    accept = request.headers.get("Accept", "")
    varying = f"{token}|{request.scheme}|{request.get_host()}|{request.get_full_path()}|{accept}"
    return quote_etag(hashlib.sha256(varying.encode()).hexdigest()[:32])


def _matches(request, etag, changed_at):
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and changed_at is not None and int(changed_at.timestamp()) <= since


class PublicCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _eligible(request):
            return self.get_response(request)
        try:
            token, changed_at = stamp.current()
        except outage.OUTAGE_ERRORS as exc:  # the database is out: 503 at once, not a second wait in the view
            return errors.service_unavailable(request, exc)
        except DatabaseError:
            return self.get_response(request)
        try:
            etag = _etag(request, token)
        except DisallowedHost:
            return self.get_response(request)
        context = stamp.set_for_request((token, changed_at))
        try:
            if _matches(request, etag, changed_at):
                return self._not_modified(etag, changed_at)
            kept = _page_cache_key(request, etag)
            if kept and (response := caches[PAGE_CACHE].get(kept)) is not None:
                return response
            response = self.get_response(request)
            if self._validators(request, response, etag, changed_at) and kept:
                caches[PAGE_CACHE].set(kept, response, settings.SEARCH_CACHE_SECONDS)
        finally:
            stamp.reset(context)
        return response

    @staticmethod
    def _headers(response, etag, changed_at):
        response["ETag"] = etag
        if changed_at is not None:
            response["Last-Modified"] = http_date(changed_at.timestamp())
        response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"
        patch_vary_headers(response, ("Accept", "Cookie"))

    def _not_modified(self, etag, changed_at):
        response = HttpResponseNotModified()
        self._headers(response, etag, changed_at)
        return response

    def _validators(self, request, response, etag, changed_at):
        """Set the validators on a public answer; True when it got them (and may be kept)."""
        if response.status_code != 200 or response.cookies or response.has_header("Cache-Control"):
            return False
        if getattr(response, "streaming", False):
            return False
        self._headers(response, etag, changed_at)
        return True
