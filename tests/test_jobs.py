"""Admin imports beyond a small size run as background jobs (articles.tasks, django-tasks'
database backend and its ``db_worker``): the editor follows them on a job page, and a
worker killed mid-job loses nothing, writes nothing half, and the job resumes (issue 13)."""

# The job id in the raw SQL below is an int this test made.
# ruff: noqa: S608

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from articles import tasks
from articles.admin import importing
from articles.ingest.matcher import clear_matcher_cache
from articles.models import Article, ImportJob, ImportJobStatus

from .feedkit import FILLER_WORDS

ROOT = Path(__file__).resolve().parent.parent
WORDS = (*FILLER_WORDS, "hospital", "trial")


def jsonl(n, seed=0):
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        body = " ".join(rng.choices(WORDS, k=60))
        lines.append(json.dumps({"title": f"Report {i}", "body": body, "url": f"https://jobs.example/{seed}/{i}"}))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(autouse=True)
def _matcher():
    clear_matcher_cache()
    yield
    clear_matcher_cache()


@pytest.mark.django_db
def test_a_large_admin_upload_becomes_a_job_whose_page_shows_progress_then_the_report(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from articles.models import Condition

    Condition.objects.create(name="Alopecia", mesh_id="D000505", slug="alopecia")
    monkeypatch.setattr(importing, "BACKGROUND_BYTES", 1000)
    upload = SimpleUploadedFile("big.jsonl", jsonl(150) + b'{"title": "x\\u0000", "body": "y"}\n')
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/articles/article/import/", {"files": [upload], "kind": "detect"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/import/jobs/{job.pk}/")
    [queued] = DBTaskResult.objects.all()
    assert queued.args_kwargs["args"] == [job.pk] and queued.status == "READY"
    assert Article.objects.count() == 0  # nothing done in the request
    page = admin_client.get(response["Location"]).content.decode()
    assert "queued" in page and 'http-equiv="refresh"' in page

    tasks.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE and job.processed == 151
    assert job.counts["created"] == 150 and job.counts["failed"] == 1
    page = admin_client.get(response["Location"]).content.decode()
    assert "150 imported" in page and "1 failed" in page and "big.jsonl line 151" in page and "NUL" in page
    assert 'http-equiv="refresh"' not in page


def _raw(url):
    """A DB-API connection to the database the worker uses, and its placeholder."""
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url[len("sqlite:///") :], timeout=10)
    import psycopg2

    return psycopg2.connect(url)


def _one(url, sql):
    db = _raw(url)
    try:
        cursor = db.cursor()
        cursor.execute(sql)
        return cursor.fetchone()
    finally:
        db.close()


def _manage(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_job_loses_nothing_and_the_job_resumes(tmp_path):
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    else:
        s = connection.settings_dict
        url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "t", "DEBUG": "0"}
    if connection.vendor == "sqlite":
        done = _manage(env, "migrate", "--noinput", timeout=300)
        assert done.returncode == 0, done.stderr
    total = 2000
    (tmp_path / "big.jsonl").write_bytes(jsonl(total, seed=3))
    made = _manage(
        env,
        "shell",
        "-c",
        "from pathlib import Path; from articles import tasks; "
        f"job = tasks.create_job([('big.jsonl', Path({str(tmp_path / 'big.jsonl')!r}).read_bytes())], publish=True); "
        "print(job.pk)",
    )
    assert made.returncode == 0, made.stderr
    job_id = int(made.stdout.split()[-1])

    worker_args = [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"]
    worker = subprocess.Popen([*worker_args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            (processed,) = _one(url, f"SELECT processed FROM articles_importjob WHERE id = {job_id}")
            if processed >= 300:
                break
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)  # mid-job, no chance to clean up
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    status, processed = _one(url, f"SELECT status, processed FROM articles_importjob WHERE id = {job_id}")
    assert status == "running" and 300 <= processed < total
    # Nothing half-written: every article stored has its search-index row.
    (articles,) = _one(url, "SELECT COUNT(*) FROM articles_article")
    (indexed,) = _one(
        url,
        "SELECT COUNT(*) FROM articles_article a WHERE EXISTS (SELECT 1 FROM modelsearch_indexentry e "
        "WHERE e.object_id = CAST(a.id AS VARCHAR(50)))",
    )
    assert articles >= processed and indexed == articles

    resumed = _manage(
        env,
        "shell",
        "-c",
        "from articles import tasks; from articles.models import ImportJob; "
        f"tasks.resume(ImportJob.objects.get(pk={job_id}))",
    )
    assert resumed.returncode == 0, resumed.stderr
    again = _manage(env, "db_worker", "--batch", "--no-startup-delay", timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]

    status, processed, counts = _one(
        url, f"SELECT status, processed, counts FROM articles_importjob WHERE id = {job_id}"
    )
    counts = json.loads(counts) if isinstance(counts, str) else counts
    assert status == "done" and processed == total
    (articles,) = _one(url, "SELECT COUNT(*) FROM articles_article")
    (urls,) = _one(url, "SELECT COUNT(DISTINCT source_url) FROM articles_article")
    assert articles == urls == total
    assert counts.get("created", 0) + counts.get("unchanged", 0) + counts.get("duplicate", 0) == total
    assert counts.get("failed", 0) == 0
