"""Following outlets' feeds (issue 15): a real HTTP server on 127.0.0.1 serves feeds and
pages written for these tests; polling fetches them safely and politely and imports the
stories through the same pipeline as ``import_articles``."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from articles import tasks
from articles.ingest.extract import extract_html, record_from_mapping
from articles.ingest.feeds import fetch as fetching
from articles.ingest.feeds import poll
from articles.ingest.feeds.parse import parse_feed
from articles.ingest.matcher import clear_matcher_cache
from articles.ingest.pipeline import import_records
from articles.models import Article, ArticleStatus, Feed, FeedItem, FeedItemStatus, FeedKind, FetchStatus, Source

from .feedkit import Server, atom, news_sitemap, page, rss, slow, static, story_text, with_etag

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server():
    running = Server()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fast_and_local(settings, server):
    settings.FETCH_ALLOW_PRIVATE = True
    settings.FETCH_HOST_DELAY = 0
    settings.FETCH_CONNECT_TIMEOUT = 1.0
    settings.FETCH_READ_TIMEOUT = 0.4
    settings.FETCH_MAX_BYTES = 1_000_000
    settings.FETCH_MAX_REDIRECTS = 4
    fetching.forget_robots()
    server.routes.clear()
    server.hits.clear()
    clear_matcher_cache()
    yield
    clear_matcher_cache()


def serve_story(server, path, seed, *, title=None, canonical=True, **page_args):
    title = title or f"Story {seed}: what a clinic counted"
    paragraphs = story_text(seed)
    url = server.url(path)
    server.routes[path] = static(page(title, paragraphs, canonical=url if canonical else "", **page_args).encode())
    return url, title, paragraphs


def rss_body(stories):
    return rss(
        [
            {"title": title, "link": url, "guid": f"guid-{url}", "description": "Short summary of the story."}
            for url, title, _ in stories
        ]
    )


def rss_feed(server, path, stories, **route_args):
    body = rss_body(stories)
    server.routes[path] = with_etag(body, **route_args) if route_args else static(body, "application/rss+xml")
    return Feed.objects.create(url=server.url(path))


# --------------------------------------------------------------------------- formats


def test_rss_items_become_draft_stories_with_the_pages_date_author_and_canonical_address(server):
    stories = [serve_story(server, f"/rss1/story-{n}", seed=n) for n in (1, 2)]
    feed = rss_feed(server, "/rss1/feed.xml", stories, etag='"v1"')

    result = poll.poll_feed(feed.pk)

    assert result.status == FetchStatus.OK, result.summary()
    assert result.count("created") == 2
    articles = Article.objects.order_by("source_url")
    assert [a.source_url for a in articles] == sorted(url for url, _, _ in stories)
    first = articles[0]
    assert first.status == ArticleStatus.DRAFT  # drafts by default
    assert first.author == "Robin Example"
    assert first.published.date().isoformat() == "2026-11-20"
    assert stories[0][2][0][:40] in first.body
    assert "Made-up Outlet" not in first.body  # the page's furniture is not the story
    feed.refresh_from_db()
    assert (feed.kind, feed.title, feed.last_status, feed.etag) == (FeedKind.RSS, "Made-up Health Desk", "ok", '"v1"')
    assert feed.next_poll_at > timezone.now() + timedelta(minutes=25)
    assert set(FeedItem.objects.values_list("status", flat=True)) == {FeedItemStatus.DONE}
    assert all(item.article_id for item in FeedItem.objects.all())


def test_second_poll_is_a_304_and_seen_items_are_never_fetched_again(server):
    stories = [serve_story(server, f"/rss2/story-{n}", seed=10 + n) for n in (1, 2)]
    feed = rss_feed(server, "/rss2/feed.xml", stories, etag='"abc"')
    poll.poll_feed(feed.pk)
    server.hits.clear()

    again = poll.poll_feed(feed.pk)

    assert again.status == FetchStatus.NOT_MODIFIED
    assert server.hits == ["/rss2/feed.xml"]  # one conditional request, no page
    # A server that ignores ETags: the feed is read again, but seen items cost no fetch.
    server.routes["/rss2/feed.xml"] = static(rss_body(stories), "application/rss+xml")
    server.hits.clear()
    Feed.objects.filter(pk=feed.pk).update(etag="")
    third = poll.poll_feed(feed.pk)
    assert third.status == FetchStatus.OK and third.new == 0
    assert server.hits == ["/rss2/feed.xml"]
    assert Article.objects.count() == 2


def test_atom_feed(server):
    stories = [serve_story(server, f"/atom/story-{n}", seed=20 + n) for n in (1, 2, 3)]
    server.routes["/atom/feed"] = static(
        atom([{"id": f"urn:story:{n}", "title": t, "link": u} for n, (u, t, _) in enumerate(stories)]),
        "application/atom+xml",
    )
    feed = Feed.objects.create(url=server.url("/atom/feed"))
    result = poll.poll_feed(feed.pk)
    assert result.count("created") == 3, result.summary()
    feed.refresh_from_db()
    assert feed.kind == FeedKind.ATOM
    assert set(FeedItem.objects.values_list("key", flat=True)) == {"urn:story:0", "urn:story:1", "urn:story:2"}


def test_news_sitemap_and_a_feed_that_publishes_at_once(server):
    stories = [serve_story(server, f"/sitemap/story-{n}", seed=30 + n) for n in (1, 2)]
    server.routes["/sitemap/news.xml"] = static(
        news_sitemap([(u, t, "2026-11-21T08:00:00+00:00") for u, t, _ in stories]), "application/xml"
    )
    outlet = Source.objects.create(name="Made-up Times", slug="made-up-times")
    feed = Feed.objects.create(url=server.url("/sitemap/news.xml"), source=outlet, publish=True)
    result = poll.poll_feed(feed.pk)
    assert result.count("created") == 2, result.summary()
    assert set(Article.objects.values_list("status", "source__name")) == {(ArticleStatus.PUBLISHED, "Made-up Times")}
    feed.refresh_from_db()
    assert feed.kind == FeedKind.NEWS_SITEMAP


def test_json_feed_is_read():
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
        b'{"id": "1", "url": "/a", "title": "A", "content_text": "x", "date_published": "2026-11-01T00:00:00Z"}]}'
    )
    parsed = parse_feed(body, base_url="http://outlet.example/feed.json")
    assert parsed.kind == FeedKind.JSON
    assert [(i.key, i.url, i.published) for i in parsed.items] == [
        ("1", "http://outlet.example/a", "2026-11-01T00:00:00Z")
    ]


# --------------------------------------------------------------------------- bad feeds fail alone


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><title>&lol4;</title></channel></rss>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><title>&secret;</title><link>http://x.example/a</link></item>
</channel></rss>"""


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"<rss version='2.0'><channel><item><title>unclosed</channel></rss>", "application/rss+xml", "malformed XML"),
        (BILLION_LAUGHS, "application/rss+xml", "refused: the document declares the XML entity 'lol'"),
        (XXE, "application/rss+xml", "refused: the document declares the XML entity 'secret'"),
        (b"<html><body>Not a feed</body></html>", "text/html", "wrong content type 'text/html'"),
        (
            b"<html><body>Not a feed</body></html>",
            "application/xml",
            "not a feed: the document's root element",
        ),
    ],
    ids=["malformed", "billion-laughs", "xxe", "wrong-content-type", "not-a-feed"],
)
def test_a_bad_feed_fails_alone_with_a_clear_error_and_backs_off(server, body, content_type, expected):
    server.routes["/bad/feed"] = static(body, content_type)
    good = [serve_story(server, "/bad/ok-story", seed=40)]
    good_feed = rss_feed(server, "/bad/good-feed", good)
    feed = Feed.objects.create(url=server.url("/bad/feed"), poll_minutes=10)

    result = poll.poll_feed(feed.pk)
    other = poll.poll_feed(good_feed.pk)

    assert result.status == FetchStatus.FAILED
    assert expected in result.error
    feed.refresh_from_db()
    assert feed.last_status == FetchStatus.FAILED and expected in feed.last_error
    assert feed.consecutive_failures == 1
    assert feed.next_poll_at >= timezone.now() + timedelta(minutes=19)  # 10 × 2¹
    assert not FeedItem.objects.filter(feed=feed).exists()
    assert "root:" not in str(list(Article.objects.values_list("title", "body")))
    assert other.count("created") == 1  # the other feed is unaffected


def test_external_dtds_and_entities_are_never_fetched(server):
    dtd = server.url("/evil.dtd").encode()
    server.routes["/xxe-dtd/feed"] = static(
        b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "' + dtd + b'"><rss><channel/></rss>', "application/xml"
    )
    server.routes["/xxe-entity/feed"] = static(
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e SYSTEM "' + dtd + b'">]><rss><channel>&e;</channel></rss>',
        "application/xml",
    )
    # An old-style DOCTYPE is allowed (RSS 0.91 feeds have one) but its DTD is never read.
    assert poll.poll_feed(Feed.objects.create(url=server.url("/xxe-dtd/feed")).pk).status == FetchStatus.OK
    entity = poll.poll_feed(Feed.objects.create(url=server.url("/xxe-entity/feed")).pk)
    assert entity.status == FetchStatus.FAILED and "refused" in entity.error
    assert "/evil.dtd" not in server.hits


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (static(b"gone", "text/plain", status=404), "HTTP 404"),
        (static(b"oops", "text/plain", status=500), "HTTP 500"),
        (slow(1.5), "read timeout after 0.4 s"),
    ],
    ids=["404", "500", "slow"],
)
def test_http_failures_back_off_exponentially(server, route, expected):
    server.routes["/fail/feed"] = route
    feed = Feed.objects.create(url=server.url("/fail/feed"), poll_minutes=5)
    first = poll.poll_feed(feed.pk)
    second = poll.poll_feed(feed.pk)
    assert expected in first.error and expected in second.error
    feed.refresh_from_db()
    assert feed.consecutive_failures == 2
    wait = feed.next_poll_at - feed.last_fetched_at
    assert timedelta(minutes=19) < wait <= timedelta(minutes=20)  # 5 × 2²


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(server, status):
    server.routes["/busy/feed"] = static(b"slow down", "text/plain", status=status, headers={"Retry-After": "600"})
    feed = Feed.objects.create(url=server.url("/busy/feed"), poll_minutes=1)
    result = poll.poll_feed(feed.pk)
    assert f"HTTP {status}" in result.error and "retry after 600 s" in result.error
    feed.refresh_from_db()
    assert timedelta(seconds=599) <= feed.next_poll_at - feed.last_fetched_at <= timedelta(seconds=601)


def test_redirect_loop_and_too_many_redirects(server):
    server.routes["/loop/a"] = static(b"", "text/plain", status=302, headers={"Location": "/loop/b"})
    server.routes["/loop/b"] = static(b"", "text/plain", status=301, headers={"Location": "/loop/a"})
    for n in range(6):
        server.routes[f"/hop/{n}"] = static(b"", "text/plain", status=302, headers={"Location": f"/hop/{n + 1}"})
    loop = Feed.objects.create(url=server.url("/loop/a"))
    chain = Feed.objects.create(url=server.url("/hop/0"))
    assert "redirect loop" in poll.poll_feed(loop.pk).error
    assert "more than 4 redirects" in poll.poll_feed(chain.pk).error
    assert server.hits.count("/loop/a") == 1


def test_a_huge_feed_is_cut_off_at_the_cap(server):
    server.routes["/huge/feed"] = lambda h: (200, {"Content-Type": "application/xml"}, [b"<rss>" + b" " * 65536] * 160)
    server.routes["/huge/declared"] = static(b"x" * 1_000_001, "application/xml")
    assert (
        "too large: more than 1,000,000 bytes"
        in poll.poll_feed(Feed.objects.create(url=server.url("/huge/feed")).pk).error
    )
    declared = poll.poll_feed(Feed.objects.create(url=server.url("/huge/declared")).pk)
    assert "too large: 1,000,001 bytes declared" in declared.error


def test_a_10_mb_page_is_refused_and_the_feeds_own_text_is_used_and_marked(server):
    server.routes["/bigpage/story"] = lambda h: (
        200,
        {"Content-Type": "text/html"},
        [b"<html><body><p>"] + [b"word " * 20000] * 100,
    )
    text = " ".join(story_text(50))
    server.routes["/bigpage/feed"] = static(
        rss(
            [
                {
                    "title": "A story too big to fetch",
                    "link": server.url("/bigpage/story"),
                    "description": f"<p>{text}</p>",
                }
            ]
        ),
        "application/rss+xml",
    )
    feed = Feed.objects.create(url=server.url("/bigpage/feed"))
    result = poll.poll_feed(feed.pk)
    assert result.count("created") == 1, result.summary()
    item = FeedItem.objects.get()
    assert item.from_feed_text and "too large" in item.error
    article = item.article
    assert article.title == "A story too big to fetch" and text[:60] in article.body
    assert article.source_url == server.url("/bigpage/story")
    assert "from the feed's own text" in result.summary()


def test_non_utf8_pages_are_decoded(server):
    def latin(title, seed):
        paragraphs = [*story_text(seed), f"Staff at the café near clinic {seed} said leaflets were printed twice."]
        return page(title, paragraphs).replace('<meta charset="utf-8">', "")

    server.routes["/enc/header"] = static(
        latin("Un café pour la santé", 60).encode("cp1252"), "text/html; charset=windows-1252"
    )
    meta_only = latin("Deux cafés pour la santé", 61).replace("<head>", '<head><meta charset="iso-8859-1">')
    server.routes["/enc/meta"] = static(meta_only.encode("latin-1"), "text/html")
    items = [
        {"title": "", "link": server.url("/enc/header"), "guid": "h"},
        {"title": "", "link": server.url("/enc/meta"), "guid": "m"},
    ]
    server.routes["/enc/feed"] = static(rss(items), "application/rss+xml")
    feed = Feed.objects.create(url=server.url("/enc/feed"))
    result = poll.poll_feed(feed.pk)
    assert result.count("created") + result.count("syndicated") == 2, result.summary()
    titles = set(Article.objects.values_list("title", flat=True))
    assert titles == {"Un café pour la santé", "Deux cafés pour la santé"}
    bodies = sorted(Article.objects.values_list("body", flat=True))
    assert ["Staff at the café near clinic 60" in b or "Staff at the café near clinic 61" in b for b in bodies] == [
        True,
        True,
    ]


def test_private_link_local_and_loopback_addresses_are_refused(settings, server):
    settings.FETCH_ALLOW_PRIVATE = False
    cases = {
        "http://10.1.2.3/feed": "a private address",
        "http://169.254.169.254/latest/meta-data": "a link-local address",
        "http://[::1]/feed": "a loopback address",
        server.url("/x").replace("127.0.0.1", "localhost"): "is a loopback address",  # checked after the connect
        "file:///etc/passwd": r"not an http\(s\) address",
    }
    for url, expected in cases.items():
        with pytest.raises(fetching.FetchError, match=expected):
            fetching.fetch(url, accept=fetching.FEED_TYPES, robots=False)
    assert server.hits == []


def test_robots_txt_is_respected(server):
    server.routes["/robots.txt"] = static(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    server.routes["/private/feed"] = static(rss([]), "application/rss+xml")
    result = poll.poll_feed(Feed.objects.create(url=server.url("/private/feed")).pk)
    assert "robots.txt" in result.error and "disallows" in result.error
    assert "/private/feed" not in server.hits
    # Another worker (a process with nothing cached) reads it from the database, not the host.
    fetching.forget_robots()
    assert not fetching.robots_allows(server.url("/private/other"))
    assert fetching.robots_allows(server.url("/public/feed"))
    assert server.hits.count("/robots.txt") == 1


def test_a_redirect_into_a_disallowed_path_is_not_followed(server):
    server.routes["/robots.txt"] = static(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    server.routes["/public/feed"] = static(b"", "text/plain", status=301, headers={"Location": "/private/feed"})
    server.routes["/private/feed"] = static(rss([]), "application/rss+xml")
    result = poll.poll_feed(Feed.objects.create(url=server.url("/public/feed")).pk)
    assert "robots.txt" in result.error and "disallows" in result.error and "/private/feed" in result.error
    assert "/public/feed" in server.hits and "/private/feed" not in server.hits


def test_one_request_per_host_at_a_time(server):
    host = fetching.take_host(server.url("/a"))
    with pytest.raises(fetching.FetchError, match="busy"):
        fetching.take_host(server.url("/b"), wait=0.2)
    fetching.release_host(host)
    fetching.release_host(fetching.take_host(server.url("/c"), wait=0.2))


# --------------------------------------------------------------------------- the pipeline


def test_a_page_read_again_is_extracted_whole():
    html = page("A page read four times", story_text(75))
    texts = {extract_html(html, url="http://outlet.example/p")["text"] for _ in range(4)}
    assert len(texts) == 1 and story_text(75)[2][:40] in texts.pop()


def test_a_page_repeating_another_outlets_story_becomes_a_syndicated_copy(server):
    url, title, paragraphs = serve_story(server, "/wire/story", seed=70, title="A wire story, republished")
    import_records(
        [
            record_from_mapping(
                {
                    "title": "The original wire story",
                    "body": "\n\n".join(paragraphs),
                    "url": "https://wire.example/original",
                    "source": "Wire Service",
                    "published": "2026-11-19T08:00:00Z",
                },
                "record 1",
            )
        ]
    )
    feed = rss_feed(server, "/wire/feed", [(url, title, paragraphs)])
    result = poll.poll_feed(feed.pk)
    assert result.count("syndicated") == 1, result.summary()
    copy = Article.objects.get(source_url=url)
    assert copy.canonical.source_url == "https://wire.example/original"


def test_an_updated_item_updates_its_story(server):
    url, title, _ = serve_story(server, "/upd/story", seed=80)
    first = {"title": title, "link": url, "guid": "u1", "pubDate": "Fri, 20 Nov 2026 09:00:00 GMT"}
    server.routes["/upd/feed"] = static(rss([first]), "application/rss+xml")
    feed = Feed.objects.create(url=server.url("/upd/feed"))
    poll.poll_feed(feed.pk)
    serve_story(server, "/upd/story", seed=81, title=title + " (updated)")
    server.routes["/upd/feed"] = static(rss([{**first, "title": title + " (updated)"}]), "application/rss+xml")
    result = poll.poll_feed(feed.pk)
    assert result.changed == 1 and result.count("updated") == 1, result.summary()
    article = Article.objects.get()
    assert article.title.endswith("(updated)") and story_text(81)[0][:50] in article.body


# --------------------------------------------------------------------------- nothing lost, nothing twice


def test_a_worker_dying_at_each_write_boundary_loses_nothing(server, monkeypatch):
    stories = [serve_story(server, f"/crash/story-{n}", seed=90 + n) for n in range(5)]
    feed = rss_feed(server, "/crash/feed", stories, etag='"c1"')

    # 1. Dies after the items are recorded, before any is imported: the next poll is a 304
    # and still imports them.
    def die(*args, **kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(poll, "import_pending", die)
        with pytest.raises(RuntimeError):
            poll.poll_feed(feed.pk)
    assert FeedItem.objects.filter(status=FeedItemStatus.PENDING).count() == 5
    assert not Article.objects.exists()

    # 2. Dies while fetching the third page: nothing of that chunk was written.
    real_fetch, calls = poll.fetch, []

    def fetch_then_die(url, **kwargs):
        calls.append(url)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real_fetch(url, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(poll, "fetch", fetch_then_die)
        with pytest.raises(RuntimeError):
            poll.poll_feed(feed.pk)
    assert not Article.objects.exists()

    # 3. Dies after the articles are committed, before the items are marked done.
    with monkeypatch.context() as patch:
        patch.setattr(poll.pipeline, "import_records", _then_die(poll.pipeline.import_records))
        with pytest.raises(RuntimeError):
            poll.poll_feed(feed.pk)
    assert Article.objects.count() == 5
    assert FeedItem.objects.filter(status=FeedItemStatus.PENDING).count() == 5

    result = poll.poll_feed(feed.pk)
    assert result.status == FetchStatus.NOT_MODIFIED
    assert result.count("unchanged") == 5, result.summary()
    assert Article.objects.count() == 5
    assert set(FeedItem.objects.values_list("status", flat=True)) == {FeedItemStatus.DONE}
    assert FeedItem.objects.filter(article__isnull=True).count() == 0


def _then_die(import_records):
    def wrapped(records, **kwargs):
        kwargs["progress"] = None  # the articles commit, the items are never marked
        import_records(records, **kwargs)
        raise RuntimeError("worker killed")

    return wrapped


def test_a_write_the_database_refuses_for_now_is_tried_again_soon(server, monkeypatch):
    from django.db import OperationalError

    from articles.ingest import pipeline

    stories = [serve_story(server, "/locked/story", seed=95)]
    feed = rss_feed(server, "/locked/feed", stories)

    def locked(self, plans):
        raise OperationalError("database is locked")

    with monkeypatch.context() as patch:
        patch.setattr(pipeline.Importer, "_create", locked)
        first = poll.poll_feed(feed.pk)
    assert first.count("failed") == 1
    item = FeedItem.objects.get()
    assert item.status == FeedItemStatus.PENDING and "database is locked" in item.error
    feed.refresh_from_db()
    assert feed.next_poll_at - feed.last_fetched_at < timedelta(minutes=2)  # not the 30-minute interval
    assert poll.poll_feed(feed.pk).count("created") == 1
    assert FeedItem.objects.get().status == FeedItemStatus.DONE


def test_the_same_item_cannot_be_recorded_twice_and_only_one_worker_claims_it(server):
    feed = Feed.objects.create(url=server.url("/race/feed"))
    FeedItem.objects.create(feed=feed, key="guid-1", url="http://outlet.example/1")
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedItem.objects.create(feed=feed, key="guid-1", url="http://outlet.example/1")
    item = FeedItem.objects.get()
    now = timezone.now()
    assert poll.claim([item.pk], now) == [item.pk]
    assert poll.claim([item.pk], now + timedelta(seconds=1)) == []  # the second worker backs off
    later = now + poll.STALE_CLAIM + timedelta(seconds=1)
    assert poll.claim([item.pk], later) == [item.pk]  # a claim gone stale (its worker died elsewhere)


# --------------------------------------------------------------------------- scheduling and commands


def test_scheduler_takes_each_due_feed_once(server):
    due = Feed.objects.create(url=server.url("/s/1"))
    Feed.objects.create(url=server.url("/s/2"), next_poll_at=timezone.now() + timedelta(hours=1))
    Feed.objects.create(url=server.url("/s/3"), active=False)
    assert poll.take_due() == [due.pk]
    assert poll.take_due() == []  # a second scheduler finds nothing to queue
    assert poll.take_due(timezone.now() + poll.SCHEDULE_LEASE + timedelta(seconds=1)) == [due.pk]


def test_schedule_due_queues_a_task_per_feed(server):
    from django_tasks_db.models import DBTaskResult

    feed = Feed.objects.create(url=server.url("/q/1"))
    assert poll.schedule_due() == [feed.pk]
    task = DBTaskResult.objects.get()
    assert task.task_path == "articles.tasks.poll_feed_task" and task.args_kwargs["args"] == [feed.pk]


def test_add_feed_and_poll_feeds_commands(server, capsys):
    stories = [serve_story(server, f"/cmd/story-{n}", seed=100 + n) for n in (1, 2)]
    server.routes["/cmd/feed"] = static(
        rss([{"title": t, "link": u, "guid": u} for u, t, _ in stories]), "application/rss+xml"
    )
    call_command("add_feed", server.url("/cmd/feed"), "--source", "Made-up Gazette", "--publish")
    feed = Feed.objects.get()
    assert (feed.source.name, feed.publish) == ("Made-up Gazette", True)
    with pytest.raises(CommandError, match="already followed"):
        call_command("add_feed", server.url("/cmd/feed"))
    with pytest.raises(CommandError, match="not an http"):
        call_command("add_feed", "ftp://outlet.example/feed")

    call_command("poll_feeds", "--once")
    out = capsys.readouterr().out
    assert "[1/1] polling feed" in out and "1 feeds polled, 0 failed, 2 stories imported" in out
    call_command("poll_feeds", "--once")
    assert "No feed is due." in capsys.readouterr().out
    call_command("poll_feeds", "--feed", str(feed.pk))
    assert "0 new, 0 changed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no feed with id 999"):
        call_command("poll_feeds", "--feed", "999")


# --------------------------------------------------------------------------- admin and workbench


def test_an_editor_adds_a_feed_fetches_it_now_and_sees_the_new_drafts(
    server, editor_client, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    stories = [serve_story(server, f"/adm/story-{n}", seed=110 + n) for n in (1, 2)]
    server.routes["/adm/feed"] = static(rss_body(stories), "application/rss+xml")
    response = editor_client.post(
        reverse("admin:articles_feed_add"),
        {"url": server.url("/adm/feed"), "kind": "detect", "poll_minutes": "30", "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    feed = Feed.objects.get()
    assert not feed.publish  # drafts by default
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("admin:articles_feed_changelist"),
            {"action": "fetch_now", "_selected_action": [feed.pk]},
            follow=True,
        )
    assert "1 feed queued" in response.content.decode()
    task = DBTaskResult.objects.get()
    assert task.task_path == "articles.tasks.poll_feed_task" and task.args_kwargs["args"] == [feed.pk]
    # What the worker runs:
    assert "2 created" in tasks.poll_feed_task.call(feed.pk)
    drafts = editor_client.get(reverse("admin:articles_article_changelist") + "?status__exact=draft").content.decode()
    assert all(title in drafts for _, title, _ in stories)
    health = editor_client.get(reverse("admin:articles_feed_changelist")).content.decode()
    assert '<td class="field-items_last_week">2</td>' in health


def test_the_workbench_lists_failing_feeds(server, editor_client):
    server.routes["/wb/feed"] = static(b"gone", "text/plain", status=404)
    feed = Feed.objects.create(url=server.url("/wb/feed"))
    Feed.objects.create(url=server.url("/wb/fine"))
    poll.poll_feed(feed.pk)
    html = editor_client.get("/admin/").content.decode()
    assert '?health=failing">Failing feeds</a>' in html
    assert f"{feed.url}</a>: 1 failure in a row; HTTP 404" in html
    assert "wb/fine" not in html
    failing = editor_client.get(reverse("admin:articles_feed_changelist") + "?health=failing").content.decode()
    assert "/wb/feed" in failing and "/wb/fine" not in failing


def test_a_feed_address_must_be_public_http(editor_client, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    response = editor_client.post(
        reverse("admin:articles_feed_add"),
        {"url": "http://10.0.0.8/feed", "kind": "detect", "poll_minutes": "30", "active": "on"},
    )
    assert response.status_code == 200 and "a private address" in response.content.decode()
    assert not Feed.objects.exists()


# --------------------------------------------------------------------------- a real worker killed


def _manage(env, *args, timeout=300):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_feed_and_restarted_ends_with_every_story_once(server, tmp_path):
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'feeds.sqlite3'}"
    else:
        s = connection.settings_dict
        url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "t",
        "DEBUG": "0",
        "FETCH_ALLOW_PRIVATE": "1",
        "FETCH_HOST_DELAY": "0",
        # The killed worker's host slot is free again after its longest request (connect + 2 ×
        # read + 5 s): short timeouts keep that wait to 10 s instead of 50.
        "FETCH_CONNECT_TIMEOUT": "1",
        "FETCH_READ_TIMEOUT": "2",
    }
    if connection.vendor == "sqlite":
        done = _manage(env, "migrate", "--noinput")
        assert done.returncode == 0, done.stderr
    total = 60
    stories = []
    for n in range(total):
        url_n, title, paragraphs = serve_story(server, f"/kill/story-{n}", seed=1000 + n)
        body = page(title, paragraphs, canonical=url_n).encode()
        server.routes[f"/kill/story-{n}"] = slow_page(body, 0.03)
        stories.append((url_n, title, paragraphs))
    server.routes["/kill/feed"] = static(rss_body(stories), "application/rss+xml")
    added = _manage(env, "add_feed", server.url("/kill/feed"))
    assert added.returncode == 0, added.stderr
    feed_id = added.stdout.split("Feed ", 1)[1].split()[0]

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "poll_feeds", "--feed", feed_id],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            # Mid-feed: a chunk is done and the next one claimed (its pages being fetched). Items
            # are done a chunk at a time, so waiting for "done" alone could kill between chunks.
            (done_items,) = _one(url, "SELECT COUNT(*) FROM articles_feeditem WHERE status = 'done'")
            (claimed,) = _one(url, "SELECT COUNT(*) FROM articles_feeditem WHERE claimed_at IS NOT NULL")
            if done_items >= 20 and claimed:
                break
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            time.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    (done_items,) = _one(url, "SELECT COUNT(*) FROM articles_feeditem WHERE status = 'done'")
    (claimed,) = _one(url, "SELECT COUNT(*) FROM articles_feeditem WHERE claimed_at IS NOT NULL")
    assert 20 <= done_items < total and claimed > 0

    again = _manage(env, "poll_feeds", "--feed", feed_id)
    assert again.returncode == 0, again.stderr[-2000:]
    (articles,) = _one(url, "SELECT COUNT(*) FROM articles_article")
    (urls,) = _one(url, "SELECT COUNT(DISTINCT source_url) FROM articles_article")
    (items_done,) = _one(url, "SELECT COUNT(*) FROM articles_feeditem WHERE status = 'done' AND article_id IS NOT NULL")
    assert articles == urls == items_done == total


def _one(url, sql):
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url[len("sqlite:///") :], timeout=10)
    else:
        import psycopg2

        db = psycopg2.connect(url)
    try:
        cursor = db.cursor()
        cursor.execute(sql)
        return cursor.fetchone()
    finally:
        db.close()


def slow_page(body, seconds):
    def route(handler):
        time.sleep(seconds)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body

    return route
