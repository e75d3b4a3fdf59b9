"""Settings come from the environment and refuse unsafe defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_settings(env_overrides, code="from django.conf import settings; settings.INSTALLED_APPS"):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "newsbase.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_serve_without_secret_key_when_debug_is_off():
    for entry_point in ("newsbase.wsgi", "newsbase.asgi"):
        result = run_settings({"DEBUG": "0"}, f"import {entry_point}")
        assert result.returncode != 0
        assert "SECRET_KEY is not set" in result.stderr, entry_point
    served = run_settings({"DEBUG": "0", "SECRET_KEY": "x"}, "import newsbase.wsgi")
    assert served.returncode == 0, served.stderr


def test_without_a_key_commands_that_need_none_run_and_signing_refuses():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    check = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0 and "No changes detected" in check.stdout, check.stderr
    signing = run_settings({"DEBUG": "0"}, "from django.core import signing; signing.dumps(1)")
    assert signing.returncode != 0 and "SECRET_KEY setting must not be empty" in signing.stderr


def test_debug_run_may_use_the_development_key():
    result = run_settings({"DEBUG": "1"}, "from django.conf import settings; print(settings.SECRET_KEY[:8])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "dev-only"


def test_bad_debug_value_is_named():
    result = run_settings({"DEBUG": "maybe", "SECRET_KEY": "x"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_database_url_chooses_engine_and_postgres_app():
    code = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], 'django.contrib.postgres' in settings.INSTALLED_APPS)"
    )
    sqlite = run_settings({"SECRET_KEY": "x"}, code)
    assert sqlite.stdout.split() == ["django.db.backends.sqlite3", "False"], sqlite.stderr
    postgres = run_settings({"SECRET_KEY": "x", "DATABASE_URL": "postgres://u@db.example:5432/news"}, code)
    assert postgres.stdout.split() == ["django.db.backends.postgresql", "True"], postgres.stderr
    options = run_settings(
        {"SECRET_KEY": "x", "DATABASE_URL": "postgres://u@db.example:5432/news"},
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])",
    )
    assert "-c jit=off" in options.stdout  # short web queries must not pay for JIT compilation


def test_allowed_hosts_from_environment():
    code = "from django.conf import settings; print(settings.ALLOWED_HOSTS)"
    result = run_settings({"SECRET_KEY": "x", "ALLOWED_HOSTS": "news.example.org, api.example.org"}, code)
    assert result.stdout.strip() == "['news.example.org', 'api.example.org']"
