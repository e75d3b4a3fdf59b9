"""Bad input and faults answer 4xx/503 with a message, never a 500 (issue 13, items 6 and 7).

Under /api/ every error is JSON ({"detail": ...} or {field: [messages]}); elsewhere it is the
site's HTML page. A database that stops answering is a 503 with Retry-After, logged once.
"""

import logging
import os
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.test import override_settings

from newsbase import outage

from .factories import ConditionFactory, DrugFactory, InstitutionFactory
from .searchkit import story

pytestmark = pytest.mark.django_db
OUTAGE_TEXT = "The database is temporarily unavailable; try again shortly."


@pytest.fixture
def pages():
    """One published story linked to a condition, a drug and an institution: every list has a row."""
    condition = ConditionFactory(name="Scalp Patchiness", slug="scalp-patchiness")
    drug = DrugFactory(name="Folliculinib", slug="folliculinib")
    institution = InstitutionFactory(name="Harbour Hospital", slug="harbour-hospital")
    story(
        "Folliculinib regrows hair",
        "Folliculinib regrew hair in Scalp Patchiness, Harbour Hospital said.",
        links=[(condition, {}), (drug, {}), (institution, {})],
    )
    return {
        "html": [
            "/search/?q=folliculinib",
            "/articles/",
            *(e.get_absolute_url() for e in (condition, drug, institution)),
        ],
        "api": ["/api/search/?q=folliculinib", "/api/articles/"],
    }


def _with(url, **params):
    from urllib.parse import urlencode

    return url + ("&" if "?" in url else "?") + urlencode(params)


def assert_json_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


def assert_html_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    return response.content.decode()


# --------------------------------------------------------------------------- item 6: extreme values


EXTREME_DATES = [
    ("published_before", "9999-12-31"),  # the day after it is past datetime.date.max
    ("published_after", "9999-12-31"),
    ("published_after", "0001-01-01"),
    ("published_before", "0001-01-01"),
]


@pytest.mark.parametrize(("name", "value"), EXTREME_DATES)
def test_extreme_dates_are_a_400_naming_the_field_on_every_page(client, pages, name, value):
    label = {"published_before": "Published on or before", "published_after": "Published on or after"}[name]
    for url in pages["html"]:
        html = assert_html_error(client.get(_with(url, **{name: value})), 400)
        assert label in html and "between 1900-01-01 and 2100-12-31" in html, url
    for url in pages["api"]:
        body = assert_json_error(client.get(_with(url, **{name: value})), 400)
        assert name in body and "between 1900-01-01 and 2100-12-31" in body[name][0], (url, body)


def test_dates_inside_the_range_still_filter(client, pages):
    assert (
        client.get("/articles/", {"published_before": "2100-12-31", "published_after": "1900-01-01"}).status_code == 200
    )
    body = client.get("/api/articles/", {"published_before": "2100-12-31"}).json()
    assert body["count"] == 1
    assert client.get("/api/articles/", {"published_before": "1999-12-31"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("params", "statuses"),
    [
        ({"page": "9" * 5000}, {400}),  # more digits than int() converts by default
        ({"page": str(2**64)}, {400}),  # too big for an SQL OFFSET
        ({"page": "999999999"}, {404}),  # the largest page number: past the last page
        ({"page_size": "9" * 5000}, {200}),  # DRF falls back to the default size
        ({"year": "9" * 5000}, {400}),
    ],
)
def test_huge_numbers_are_never_a_500(client, pages, params, statuses):
    for url in pages["html"] + pages["api"]:
        response = client.get(_with(url, **params))
        assert response.status_code in statuses, (url, response.status_code)


# --------------------------------------------------------------------------- item 6: Host header


@override_settings(ALLOWED_HOSTS=["news.example.org"])
def test_a_disallowed_host_is_a_400_page_not_a_500(client):
    html = assert_html_error(client.get("/", HTTP_HOST="evil.example"), 400)
    assert "This request could not be understood" in html
    html = assert_html_error(client.get("/articles/?page=abc", HTTP_HOST="evil.example"), 400)
    body = assert_json_error(client.get("/api/articles/", HTTP_HOST="evil.example"), 400)
    assert body == {"detail": "Bad request."}
    assert client.get("/", HTTP_HOST="news.example.org").status_code == 200


# --------------------------------------------------------------------------- item 6: JSON under /api/


def test_api_errors_are_json_whatever_raised_them(client, pages):
    assert assert_json_error(client.get("/api/no-such-endpoint/"), 404) == {"detail": "Not found."}
    assert assert_json_error(client.get("/api/articles/no-such-story/"), 404)["detail"]
    assert client.get("/api")["Location"] == "/api/"  # the endpoint list, one slash away
    assert assert_json_error(client.get("/api/no-such-endpoint"), 404)["detail"]  # no slash, no route
    assert assert_json_error(client.post("/api/articles/", {}), 405)["detail"]
    assert assert_json_error(client.post("/api/no-such-endpoint/", {}), 404)["detail"]
    assert "page" in assert_json_error(client.get("/api/articles/", {"page": "abc"}), 400)
    # Django's own limits (a SuspiciousOperation before any view runs): still JSON under /api/.
    many = "&".join(f"f{i}=1" for i in range(1100))
    assert assert_json_error(client.get(f"/api/articles/?{many}"), 400) == {"detail": "Bad request."}
    assert_html_error(client.get(f"/articles/?{many}"), 400)
    # Elsewhere the site's HTML pages.
    assert "Page not found" in assert_html_error(client.get("/no-such-page/"), 404)


def test_csrf_failure_is_the_site_page_and_the_read_only_api_needs_no_token(client):
    csrf_client = client.__class__(enforce_csrf_checks=True)
    body = assert_json_error(csrf_client.post("/api/articles/", {}), 405)  # read-only API: no CSRF step
    assert body["detail"]
    html = assert_html_error(csrf_client.post("/admin/login/", {"username": "x", "password": "y"}), 403)
    assert "could not be verified" in html


def _boom(request):
    raise RuntimeError("a bug")


def _forbidden(request):
    raise PermissionDenied


def _form(request):
    return HttpResponse("posted")


@pytest.fixture
def buggy_views(settings):
    """A URLconf with a view that fails under /api/ and outside it (the 500 handlers)."""
    from django.urls import include, path

    import newsbase.urls

    module = type(newsbase)("buggy_urls")
    module.urlpatterns = [
        path("api/bug/", _boom),
        path("bug/", _boom),
        path("api/forbidden/", _forbidden),
        path("api/form/", _form),
        path("", include(newsbase.urls)),
    ]
    module.handler400, module.handler403 = newsbase.urls.handler400, newsbase.urls.handler403
    module.handler404, module.handler500 = newsbase.urls.handler404, newsbase.urls.handler500
    import sys

    sys.modules["buggy_urls"] = module
    settings.ROOT_URLCONF = "buggy_urls"
    yield
    del sys.modules["buggy_urls"]


def test_a_server_error_is_json_under_api_and_html_elsewhere(buggy_views, caplog):
    from django.test import Client

    client = Client(raise_request_exception=False)
    body = assert_json_error(client.get("/api/bug/"), 500)
    assert body == {"detail": "Server error: it has been logged."}
    html = assert_html_error(client.get("/bug/"), 500)
    assert "Something went wrong on our side" in html and "<style" not in html
    assert assert_json_error(client.get("/api/forbidden/"), 403) == {"detail": "You do not have permission to do this."}
    strict = Client(enforce_csrf_checks=True)
    assert "CSRF" in assert_json_error(strict.post("/api/form/", {}), 403)["detail"]


# --------------------------------------------------------------------------- item 7: database outage


@pytest.fixture
def database_down():
    """Every SQL statement fails as when the server is gone (the driver's errors, as Django wraps them)."""
    failures = []

    def refuse(execute, sql, params, many, context):
        error = OperationalError if len(failures) % 2 == 0 else InterfaceError
        failures.append(sql)
        raise error("could not connect to server: Connection refused")

    outage.reset()
    with connection.execute_wrapper(refuse):
        yield failures
    outage.reset()


def test_database_outage_is_a_503_with_retry_after(client, pages, database_down):
    for url in pages["html"]:
        response = client.get(url)
        html = assert_html_error(response, 503)
        assert response["Retry-After"] == "30"
        assert "temporarily unavailable" in html and "/static/css/site.css" in html
    for url in [*pages["api"], "/api/drugs/", "/api/autocomplete/?q=fol"]:
        response = client.get(url)
        body = assert_json_error(response, 503)
        assert response["Retry-After"] == "30"
        assert body == {"detail": OUTAGE_TEXT}
    assert database_down  # the pages did try the database


def test_database_outage_logs_one_line_not_one_per_request(client, pages, database_down, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(20):
        assert client.get("/articles/").status_code == 503
        assert client.get("/api/articles/").status_code == 503
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].name == "newsbase.outage"
    assert "database unavailable" in errors[0].getMessage().lower()
    assert errors[0].exc_info is None  # one line, no traceback
    assert outage.state().failures == 40


def _connect_and_close():
    from django.db import connections

    try:
        connections["default"].ensure_connection()
    finally:
        connections.close_all()


def test_outage_ends_when_a_connection_is_made_again(caplog):
    caplog.set_level(logging.INFO)
    outage.reset()
    outage.record(OperationalError("server closed the connection unexpectedly"))
    outage.record(OperationalError("server closed the connection unexpectedly"))
    thread = threading.Thread(target=_connect_and_close)  # a new connection, as a new request makes
    thread.start()
    thread.join()
    back = [r.getMessage() for r in caplog.records if r.name == "newsbase.outage" and r.levelno == logging.INFO]
    assert len(back) == 1 and "2 requests answered 503" in back[0]
    assert outage.state().failures == 0


def test_an_outage_lasting_long_logs_a_reminder_a_minute(caplog):
    caplog.set_level(logging.INFO)
    outage.reset()
    for second in range(0, 150, 1):
        outage.record(OperationalError("timeout"), now=1000.0 + second)
    lines = [r.getMessage() for r in caplog.records if r.name == "newsbase.outage"]
    assert len(lines) == 3, lines  # at 0 s, 60 s and 120 s
    assert "still unavailable" in lines[1] and "60 requests answered 503" in lines[1]
    outage.reset()


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="an unreachable server is a PostgreSQL outage; SQLite is a file in the process",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the roles' groups survive its flush
def test_real_outage_unreachable_server_is_a_503(client, monkeypatch):
    """PostgreSQL's address made unreachable (a closed port): the real driver error, the real 503."""
    outage.reset()
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "9")  # discard: nothing listens
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    try:
        response = client.get("/api/articles/")
        assert_json_error(response, 503)
        assert response["Retry-After"] == "30"
        assert_html_error(client.get("/articles/"), 503)
        assert outage.state().failures == 2
    finally:
        connection.close()
        outage.reset()


def test_an_error_page_that_cannot_render_still_answers(client, pages, database_down, settings, caplog):
    """Static files not collected (the manifest is missing): the 503 is a bare page, not a 500."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = settings.BASE_DIR / "no-such-static-root"
    response = client.get("/articles/")
    html = assert_html_error(response, 503)
    assert OUTAGE_TEXT in html and response["Retry-After"] == "30"
    assert any("could not be rendered" in r.getMessage() for r in caplog.records)
