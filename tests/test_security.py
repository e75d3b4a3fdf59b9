"""Bounded waits, the proxy header, login throttling and security headers (issue 13, items 8–10)."""

import importlib.util
import re
import threading

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client, override_settings

from newsbase import outage
from newsbase import views as site_views

from .test_settings import ROOT, run_settings

PASSWORD = "correct horse battery staple 9"


# --------------------------------------------------------------------------- item 8: bounded waits


def test_database_waits_are_bounded_by_settings():
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    postgres = run_settings({"SECRET_KEY": "x", "DATABASE_URL": "postgres://u@db.example:5432/news"}, code)
    assert "'connect_timeout': 5" in postgres.stdout, postgres.stderr
    tuned = run_settings(
        {"SECRET_KEY": "x", "DATABASE_URL": "postgres://u@db.example/news", "DB_CONNECT_TIMEOUT": "2"}, code
    )
    assert "'connect_timeout': 2" in tuned.stdout, tuned.stderr
    sqlite = run_settings({"SECRET_KEY": "x"}, code)
    assert "'timeout': 10" in sqlite.stdout, sqlite.stderr  # SQLite's busy timeout, in seconds
    bad = run_settings({"SECRET_KEY": "x", "DB_CONNECT_TIMEOUT": "soon"}, code)
    assert bad.returncode != 0 and "DB_CONNECT_TIMEOUT must be a whole number of seconds" in bad.stderr


def test_statement_timeout_bounds_the_site_not_the_commands():
    """The web entry points cap every statement (default 20 s); migrate and imports are not cut short."""
    pg = {"SECRET_KEY": "x", "DATABASE_URL": "postgres://u@db.example:5432/news"}
    options = "from django.db import connection; print(connection.settings_dict['OPTIONS']['options'])"
    served = run_settings(pg, f"import newsbase.wsgi; {options}")
    assert "-c statement_timeout=20000" in served.stdout and "-c jit=off" in served.stdout, served.stderr
    tuned = run_settings({**pg, "DB_STATEMENT_TIMEOUT": "5"}, f"import newsbase.wsgi; {options}")
    assert "-c statement_timeout=5000" in tuned.stdout, tuned.stderr
    command = run_settings(pg, options)
    assert "statement_timeout" not in command.stdout, command.stdout


def test_the_site_plans_statements_without_parallel_workers_and_commands_keep_them():
    """A web request's short statements start no parallel workers (DB_PARALLEL_WORKERS, default
    0); the facet refresh and other commands keep the server's setting."""
    pg = {"SECRET_KEY": "x", "DATABASE_URL": "postgres://u@db.example:5432/news"}
    options = "from django.db import connection; print(connection.settings_dict['OPTIONS']['options'])"
    served = run_settings(pg, f"import newsbase.wsgi; {options}")
    assert "-c max_parallel_workers_per_gather=0" in served.stdout, served.stderr
    tuned = run_settings({**pg, "DB_PARALLEL_WORKERS": "2"}, f"import newsbase.asgi; {options}")
    assert "-c max_parallel_workers_per_gather=2" in tuned.stdout, tuned.stderr
    assert "max_parallel" not in run_settings(pg, options).stdout
    bad = run_settings({**pg, "DB_PARALLEL_WORKERS": "many"}, options)
    assert bad.returncode != 0 and "DB_PARALLEL_WORKERS must be a whole number of workers" in bad.stderr


@pytest.mark.django_db
def test_postgresql_applies_the_statement_timeout_to_the_site():
    """Not only in the settings: the server itself reports the limit on a served connection."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    code = (
        "import newsbase.wsgi; from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
    )
    import os

    served = run_settings({"SECRET_KEY": "x", "DATABASE_URL": os.environ["DATABASE_URL"]}, code)
    assert served.stdout.strip() == "20s", served.stderr
    workers = code.replace("statement_timeout", "max_parallel_workers_per_gather")
    served = run_settings({"SECRET_KEY": "x", "DATABASE_URL": os.environ["DATABASE_URL"]}, workers)
    assert served.stdout.strip() == "0", served.stderr


@pytest.mark.django_db
def test_postgresql_prices_a_full_text_match_as_the_body_read_it_is():
    """Migration 0019: at the default cost of 1 the planner walked the index rows back one by one
    for a name a few per cent of the stories hold, reading each body vector (0.8 s at 1M)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner cost")
    with connection.cursor() as cursor:
        cursor.execute("SELECT procost FROM pg_proc WHERE oid = 'ts_match_vq(tsvector, tsquery)'::regprocedure")
        assert cursor.fetchone()[0] == 100


def test_gunicorn_config_bounds_requests():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert conf.worker_class == "gthread" and conf.threads >= 2
    assert conf.timeout == 30 and 1 <= conf.keepalive <= 10
    assert conf.limit_request_line <= 4094 and conf.limit_request_fields <= 100
    assert conf.limit_request_field_size <= 8190
    assert conf.wsgi_app == "newsbase.wsgi:application"
    readme = (ROOT / "README.md").read_text()
    assert "gunicorn -c gunicorn.conf.py" in readme


@pytest.fixture
def healthz_probe(monkeypatch):
    """Replace the health check's query; the returned event releases a probe that hangs."""
    release = threading.Event()
    calls = []

    def install(behaviour):
        def probe():
            calls.append(behaviour)
            if behaviour == "hang":
                release.wait(10)
            elif behaviour == "raise":
                raise OperationalError("could not connect to server: Connection refused")

        monkeypatch.setattr(site_views, "select_one", probe)
        monkeypatch.setattr(site_views, "HEALTHZ_BUDGET", 0.05)
        return calls

    yield install
    release.set()
    site_views.wait_for_probe(10)


@pytest.mark.django_db
def test_healthz_says_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_raises(client, healthz_probe, caplog):
    healthz_probe("raise")
    outage.reset()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert response["Retry-After"] == "30"
    assert [r.name for r in caplog.records if r.levelname == "ERROR"] == ["newsbase.outage"]
    outage.reset()


def test_healthz_does_not_wait_for_a_frozen_database(client, healthz_probe):
    calls = healthz_probe("hang")
    first = client.get("/healthz")  # the probe is still waiting (on the event) when this answers
    assert first.status_code == 503 and first.json()["database"] == "unavailable"
    second = client.get("/healthz")  # no second probe piles up behind the frozen one
    assert second.status_code == 503
    assert calls == ["hang"]


# --------------------------------------------------------------------------- item 8: the proxy header


def test_forwarded_proto_is_trusted_only_behind_a_declared_proxy():
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER, settings.SECURE_SSL_REDIRECT)"
    direct = run_settings({"SECRET_KEY": "x", "DEBUG": "0"}, code)
    assert direct.stdout.split() == ["None", "False"], direct.stderr
    proxied = run_settings({"SECRET_KEY": "x", "DEBUG": "0", "BEHIND_PROXY": "1"}, code)
    assert proxied.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https') True", proxied.stderr


@pytest.mark.django_db
def test_a_client_cannot_claim_https_without_the_proxy_setting(client):
    response = client.get("/robots.txt", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in response  # not taken for HTTPS
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        response = client.get("/robots.txt", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


# --------------------------------------------------------------------------- item 9: login throttling


@pytest.fixture
def editors(django_user_model):
    call_command("axes_reset", verbosity=0)
    return [
        django_user_model.objects.create_user(name, password=PASSWORD, is_staff=True, is_superuser=True)
        for name in ("rosalind", "maurice")
    ]


def login(username, password, ip="10.0.0.1", **headers):
    client = Client(REMOTE_ADDR=ip)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, **headers)
    return response


def logged_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.django_db
def test_login_locks_out_a_user_and_ip_after_five_failures(editors):
    assert logged_in(login("rosalind", PASSWORD))
    for attempt in range(4):
        response = login("rosalind", f"wrong {attempt}")
        assert response.status_code == 200, attempt  # the login form again, with its error
    assert login("rosalind", "wrong 5").status_code == 429  # the fifth failure locks out
    refused = login("rosalind", PASSWORD)
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "Too many failed logins" in html and "15 minutes" in html
    assert "sessionid" not in refused.cookies
    # Another user from the same address, and the same user from another address, are not locked out.
    assert logged_in(login("maurice", PASSWORD))
    assert logged_in(login("rosalind", PASSWORD, ip="10.0.0.2"))
    # An administrator unlocks: python manage.py axes_reset_username rosalind (or axes_reset for all).
    call_command("axes_reset_username", "rosalind", verbosity=0)
    assert logged_in(login("rosalind", PASSWORD))


@pytest.mark.django_db
def test_forwarded_for_does_not_reset_the_count_unless_behind_a_proxy(editors):
    for attempt in range(5):
        login("rosalind", f"wrong {attempt}", HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}")
    assert login("rosalind", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    with override_settings(BEHIND_PROXY=True):
        # Behind the proxy the client is the address it appended last (the proxy's own is REMOTE_ADDR).
        assert logged_in(login("rosalind", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7, 192.0.2.99"))
        # The client may write anything left of the proxy's entry: it does not change who it is.
        for attempt in range(5):
            login("maurice", f"wrong {attempt}", HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}, 192.0.2.50")
        assert login("maurice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99, 192.0.2.50").status_code == 429
        assert logged_in(login("maurice", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.7"))


# --------------------------------------------------------------------------- item 10: headers


CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def assert_security_headers(response):
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    for directive, value in CSP_DIRECTIVES.items():
        assert policy[directive] == value, directive
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/articles/", "/admin/login/", "/api/schema/", "/api/articles/", "/healthz"])
def test_security_headers_on_pages_admin_and_api(client, path):
    response = client.get(path, secure=True)
    assert response.status_code == 200, path
    assert_security_headers(response)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    plain = client.get(path)
    assert "Strict-Transport-Security" not in plain  # HSTS only over HTTPS


@pytest.mark.django_db
def test_security_headers_on_error_pages(client):
    assert_security_headers(client.get("/no-such-page/"))
    assert_security_headers(client.get("/articles/?published_before=9999-12-31"))


def test_templates_have_no_inline_script_or_style():
    """The CSP forbids inline script and style: every template keeps them in static files."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text):
            offenders.append(f"{path.name}: inline <script>")
        if re.search(r"<style\b|\sstyle=\"|\son[a-z]+=\"", text):
            offenders.append(f"{path.name}: inline style or event handler")
    assert offenders == []


def test_check_deploy_is_clean_with_the_readme_production_settings(tmp_path):
    """`manage.py check --deploy` with the environment README's production section sets."""
    import os
    import subprocess
    import sys

    production = (ROOT / "README.md").read_text().split("\n## Production\n", 1)[1]
    block = re.search(r"```sh\n(export SECRET_KEY=.*?)\n```", production, re.S).group(1)
    exported = dict(re.findall(r"(\b[A-Z_]+)=(\S+)", block.splitlines()[0]))
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "BEHIND_PROXY"} <= set(exported)
    unset = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the last: browser tests'
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(exported)
    env.update(
        {
            "SECRET_KEY": "k" + "".join(chr(97 + (i * 7) % 26) + str(i % 10) for i in range(40)),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
            "DEBUG": "0",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
