"""Following feeds end to end: `manage.py bench --feeds [--articles N] [--workers W] [--kill] [--seed S]`.

Serves 20 local feeds (RSS, one HTTP server on 127.0.0.1 each, so 20 hosts) whose N items
link to ≈400-word story pages (synthetic, mentioning real vocabulary names), queues a poll
of each, and times W `db_worker --batch` processes importing them all: fetch, robots.txt,
extraction (trafilatura), the whole pipeline. Then polls again (each feed answers 304;
nothing is fetched or imported), and with --kill does the first run again after killing
one worker with SIGKILL mid-run and starting a fresh one, ending with exactly N stories.
Workers run against DATABASE_URL with FETCH_ALLOW_PRIVATE=1 and FETCH_HOST_DELAY=0 (the
servers are local). Everything the bench made is deleted afterwards.
"""

import html
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from articles.bench.feedserver import Server
from articles.bench.ingest import _names, _story
from articles.models import Article, ConditionAlias, DrugAlias, Feed, FeedItem, FeedItemStatus, HostSlot, Source

FEEDS = 20
ROOT = Path(__file__).resolve().parent.parent.parent


def _page(title, body):
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n"))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<meta name='author' content='Bench Writer'>"
        "<meta property='article:published_time' content='2026-11-20T09:00:00Z'></head>"
        f"<body><nav>Home · Health</nav><article><h1>{html.escape(title)}</h1>{paragraphs}</article>"
        "<footer>Bench outlet</footer></body></html>"
    ).encode()


def _rss(server, items):
    entries = "".join(
        f"<item><title>{html.escape(title)}</title><link>{server.url(path)}</link><guid>{server.url(path)}</guid></item>"
        for path, title in items
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Bench</title>{entries}</channel></rss>".encode()


def _etag_route(body, etag):
    def route(handler):
        if handler.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": etag}, body

    return route


def _static(body):
    return lambda handler: (200, {"Content-Type": "text/html; charset=utf-8"}, body)


def _workers(n):
    env = {**os.environ, "FETCH_ALLOW_PRIVATE": "1", "FETCH_HOST_DELAY": "0"}
    args = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--interval", "0.1"]
    return [
        subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        for _ in range(n)
    ]


def _enqueue(feeds):
    from articles.tasks import poll_feed_task

    for feed in feeds:
        poll_feed_task.enqueue(feed.pk)


def _imported(feeds):
    return FeedItem.objects.filter(feed__in=feeds, status=FeedItemStatus.DONE).count()


def run(command, *, articles=None, workers=2, kill=False, seed=1, **options):
    write = command.stdout.write
    total = articles or 1000
    if total < FEEDS or workers < 1:
        raise ValueError(f"--articles must be at least {FEEDS} and --workers at least 1.")
    if not ConditionAlias.objects.exists():
        raise ValueError("The vocabulary is empty: run `python manage.py load_vocabulary` first.")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    drugs, conditions = _names(DrugAlias, rng, 300), _names(ConditionAlias, rng, 300)
    servers = [Server() for _ in range(FEEDS)]
    settings.FETCH_ALLOW_PRIVATE = True
    prefix = f"Bench feed outlet {seed}-"
    feeds = []
    try:
        for k, server in enumerate(servers):
            items = []
            for i in range(k, total, FEEDS):
                title = f"Bench story {i}: {rng.choice(drugs)} and {rng.choice(conditions)}"
                path = f"/story-{i}"
                server.routes[path] = _static(_page(title, _story(rng, drugs, conditions)))
                items.append((path, title))
            server.routes["/feed.xml"] = _etag_route(_rss(server, items), f'"bench-{seed}-{k}"')
        sources = [
            Source.objects.create(name=f"{prefix}{k}", slug=f"bench-feed-outlet-{seed}-{k}") for k in range(FEEDS)
        ]
        feeds = [
            Feed.objects.create(url=s.url("/feed.xml"), source=src, next_poll_at=None, active=False)
            for s, src in zip(servers, sources, strict=True)
        ]
        write(
            f"Database: {connection.vendor}; {FEEDS} local feeds, {total} items (≈400-word pages), "
            f"{workers} worker process(es)"
        )

        # First poll: everything is new.
        started = time.monotonic()
        _enqueue(feeds)
        procs = _workers(workers)
        if kill:
            while _imported(feeds) < total // 3 and procs[0].poll() is None:
                time.sleep(0.05)
            os.kill(procs[0].pid, signal.SIGKILL)
            procs[0].wait()
            write(f"  killed a worker (SIGKILL) with {_imported(feeds)} of {total} items imported")
            procs = procs[1:] + _workers(1)
        for proc in procs:
            proc.wait()
        if kill:
            # The killed worker's poll never finished: the scheduler queues its feed again
            # (its lease runs out); here at once. Its claims are taken over (its process is gone).
            _enqueue([f for f in feeds if f.items.exclude(status=FeedItemStatus.DONE).exists()])
            for proc in _workers(workers):
                proc.wait()
        seconds = time.monotonic() - started
        stories = Article.objects.filter(source__in=sources).count()
        write(
            f"  first poll: {stories} stories from {_imported(feeds)} items in {seconds:.1f} s "
            f"({stories / seconds:.1f} stories/s, fetch and extraction included)"
        )
        # Items a worker could not write for now (a locked SQLite database) wait pending for
        # the next poll, a minute later (the scheduler's); here at once.
        for round_ in range(1, 6):
            left = [f for f in feeds if f.items.filter(status=FeedItemStatus.PENDING).exists()]
            if not left:
                break
            pending = FeedItem.objects.filter(feed__in=left, status=FeedItemStatus.PENDING).count()
            _enqueue(left)
            for proc in _workers(workers):
                proc.wait()
            seconds = time.monotonic() - started
            stories = Article.objects.filter(source__in=sources).count()
            write(f"  retry {round_}: {pending} items were pending; {stories} stories after {seconds:.1f} s")

        # Second poll: conditional requests only.
        for server in servers:
            server.hits.clear()
        started = time.monotonic()
        _enqueue(feeds)
        for proc in _workers(workers):
            proc.wait()
        seconds = time.monotonic() - started
        requests = sum(len(s.hits) for s in servers)
        pages = sum(1 for s in servers for hit in s.hits if hit.startswith("/story-"))
        after = Article.objects.filter(source__in=sources).count()
        statuses = sorted(set(Feed.objects.filter(pk__in=[f.pk for f in feeds]).values_list("last_status", flat=True)))
        write(
            f"  second poll: {requests} requests ({pages} pages), feeds {', '.join(statuses)}, "
            f"{after - stories} new stories, {seconds:.1f} s"
        )
        if stories != total:
            write(command.style.ERROR(f"  expected {total} stories, found {stories}"))
        errors = FeedItem.objects.filter(feed__in=feeds).exclude(error="").values_list("error", flat=True)
        for error in list(errors[:3]):
            write(f"  an item's error: {error[:200]}")
    finally:
        for server in servers:
            server.stop()
        Article.objects.filter(source__name__startswith=prefix).delete()
        Feed.objects.filter(pk__in=[f.pk for f in feeds]).delete()
        Source.objects.filter(name__startswith=prefix).delete()
        HostSlot.objects.filter(host__startswith="127.0.0.1:").delete()
