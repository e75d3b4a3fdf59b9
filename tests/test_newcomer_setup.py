"""Newcomer set-up (issue 14, item 18): serving without DEBUG=1 or ALLOWED_HOSTS says which
variable to set; `make run` takes HOST= and PORT=."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_runserver_without_debug_or_hosts_names_the_variables():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "runserver", "127.0.0.1:0", "--noreload"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr and "DEBUG=1" in result.stderr
    assert "You must set settings.ALLOWED_HOSTS" not in result.stderr


def test_make_run_takes_host_and_port():
    result = subprocess.run(
        ["make", "-n", "serve", "HOST=0.0.0.0", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "runserver 0.0.0.0:8123" in result.stdout
