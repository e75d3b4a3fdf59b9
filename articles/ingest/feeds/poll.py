"""Polling one feed, and scheduling the feeds that are due.

``poll_feed(feed_id)``: fetch the feed (conditional GET) → record its items (new ones
as pending, changed ones pending again; the feed's ETag and Last-Modified are saved in
the same transaction, so a crash before it re-reads the whole feed) → import the pending
items: each is claimed by one worker (an atomic UPDATE), its page fetched and extracted
(trafilatura: date, author, canonical address; if the page can't be had, the feed's own
text, and the item says so), and all of them go through ``pipeline.import_records``
exactly as ``import_articles`` does. An item is marked done only after its article is
committed; a worker that dies between the two leaves it pending, and the next poll finds
its article by URL ("unchanged") and marks it. A claim is freed when its worker ends; a
killed worker's claims are taken over at once by a worker on the same machine (its process
is gone) and by any worker after ``STALE_CLAIM``. ``(feed, key)`` is unique in the database,
so two workers can never record the same item twice.

Failures back off: the next poll waits the interval × 2^(failures) (at most
``FEED_MAX_BACKOFF_MINUTES``), or what a 429/503's ``Retry-After`` asks.

``schedule_due()`` (the scheduler, ``manage.py poll_feeds``) takes each due feed by
moving its next poll time forward (an atomic UPDATE, so two schedulers never queue a
feed twice) and queues ``articles.tasks.poll_feed_task`` for the workers.
"""

import html
import os
import re
import socket
from dataclasses import dataclass, field
from datetime import timedelta

import nh3
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ...models import Feed, FeedItem, FeedItemStatus, FeedKind, FetchStatus
from .. import pipeline
from ..extract import Record
from ..matcher import get_matcher
from .fetch import FEED_TYPES, PAGE_TYPES, FetchError, bookkeeping, fetch, page_text
from .parse import FeedError, parse_feed

CHUNK = 50  # pending items fetched, then imported together (at most one pipeline batch)
STALE_CLAIM = timedelta(minutes=10)  # a claim older than this was a dead worker's
MAX_ATTEMPTS = 5  # an item tried this often without success is marked failed
RETRY_SOON = timedelta(minutes=1)  # the next poll, when items are left pending
SCHEDULE_LEASE = timedelta(minutes=15)  # a queued poll that never ran is queued again after this


@dataclass
class PollResult:
    feed: Feed
    status: str = ""
    error: str = ""
    new: int = 0
    changed: int = 0
    tally: dict = field(default_factory=dict)
    from_feed_text: int = 0

    def count(self, name):
        return self.tally.get(name, 0)

    def summary(self):
        if self.status == FetchStatus.FAILED:
            return f"{self.feed.url}: failed: {self.error}"
        head = "not modified" if self.status == FetchStatus.NOT_MODIFIED else f"{self.new} new, {self.changed} changed"
        counts = ", ".join(f"{n} {name}" for name, n in sorted(self.tally.items()) if n)
        text = f"{self.feed.url}: {head}; items: {counts or 'nothing to import'}"
        if self.from_feed_text:
            text += f" ({self.from_feed_text} from the feed's own text: their pages could not be had)"
        return text


def poll_feed(feed_id, *, progress=None):
    """Poll one feed now; returns a PollResult. `progress(message)` hears each item."""
    feed = Feed.objects.select_related("source").get(pk=feed_id)
    result = PollResult(feed=feed)
    now = timezone.now()
    try:
        response = fetch(feed.url, accept=FEED_TYPES, etag=feed.etag, last_modified=feed.last_modified)
        if response.not_modified:
            result.status = FetchStatus.NOT_MODIFIED
        else:
            parsed = parse_feed(response.body, base_url=response.url, kind=feed.kind)
            result.status = FetchStatus.OK
            result.new, result.changed = record_items(feed, parsed, response)
    except (FetchError, FeedError) as exc:
        return _failed(feed, result, exc, now)
    import_pending(feed, result, progress=progress)
    Feed.objects.filter(pk=feed.pk).update(
        last_status=result.status,
        last_fetched_at=now,
        last_success_at=now,
        last_error="",
        consecutive_failures=0,
        next_poll_at=timezone.now() + _next_wait(feed),
    )
    return result


def _next_wait(feed):
    """The feed's interval; a minute when items are left to try again."""
    if FeedItem.objects.filter(feed=feed, status=FeedItemStatus.PENDING).exists():
        return RETRY_SOON
    return timedelta(minutes=feed.poll_minutes)


def _failed(feed, result, exc, now):
    failures = feed.consecutive_failures + 1
    wait = timedelta(minutes=feed.poll_minutes * 2 ** min(failures, 20))
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        wait = timedelta(seconds=retry_after)
    wait = min(wait, timedelta(minutes=settings.FEED_MAX_BACKOFF_MINUTES))
    result.status, result.error = FetchStatus.FAILED, str(exc)[:2000]
    Feed.objects.filter(pk=feed.pk).update(
        last_status=FetchStatus.FAILED,
        last_fetched_at=now,
        last_error=result.error,
        consecutive_failures=failures,
        next_poll_at=now + wait,
    )
    return result


def record_items(feed, parsed, response):
    """Store the feed's items (new: pending; changed: pending again) and its validators,
    in one transaction. Returns (new, changed)."""
    keys = [i.key for i in parsed.items]
    known = dict(FeedItem.objects.filter(feed=feed, key__in=keys).values_list("key", "version"))
    new = [i for i in parsed.items if i.key not in known]
    changed = [i for i in parsed.items if i.key in known and known[i.key] != i.version]
    with transaction.atomic():
        FeedItem.objects.bulk_create(
            [
                FeedItem(feed=feed, key=i.key, url=i.url[:1000], title=i.title[:500], version=i.version, data=i.data())
                for i in new
            ],
            ignore_conflicts=True,  # another worker recorded it first: the unique key says so
        )
        for i in changed:
            FeedItem.objects.filter(feed=feed, key=i.key).update(
                url=i.url[:1000],
                title=i.title[:500],
                version=i.version,
                data=i.data(),
                status=FeedItemStatus.PENDING,
                attempts=0,
                error="",
            )
        values = {"etag": response.etag, "last_modified": response.last_modified}
        if feed.kind == FeedKind.DETECT:
            values["kind"] = parsed.kind
        if parsed.title and not feed.title:
            values["title"] = parsed.title
        Feed.objects.filter(pk=feed.pk).update(**values)
    return len(new), len(changed)


def worker_id():
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def dead_holders(feed):
    """Workers on this machine holding claims on the feed's items that are no longer running."""
    host, me = socket.gethostname(), os.getpid()
    holders = (
        FeedItem.objects.filter(feed=feed, status=FeedItemStatus.PENDING, claimed_at__isnull=False)
        .exclude(claimed_by="")
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    dead = []
    for holder in holders:
        name, _, pid = holder.rpartition(":")
        if name != host or not pid.isdigit() or int(pid) == me:
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            dead.append(holder)
        except PermissionError:
            pass  # alive, someone else's
    return dead


def claimable(now, dead=()):
    """Pending items nobody holds: never claimed, claimed long ago, or by a dead worker."""
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM)
    if dead:
        free |= Q(claimed_by__in=list(dead))
    return Q(status=FeedItemStatus.PENDING) & free


def claim(item_ids, now, dead=()):
    """Take these pending items for this worker (one UPDATE); returns the ids it got: not
    those another (live) worker holds, which the UPDATE's condition skips."""
    me = worker_id()
    with bookkeeping():
        FeedItem.objects.filter(claimable(now, dead), pk__in=item_ids).update(
            claimed_at=now, claimed_by=me, attempts=F("attempts") + 1
        )
    return list(
        FeedItem.objects.filter(pk__in=item_ids, claimed_by=me, claimed_at=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def import_pending(feed, result, *, progress=None):
    source = feed.source.name if feed.source_id else ""
    tally, tried = {}, set()  # an item left pending (to try again) waits for the next poll
    dead = dead_holders(feed)
    while True:
        now = timezone.now()
        candidates = list(
            FeedItem.objects.filter(claimable(now, dead), feed=feed)
            .exclude(pk__in=tried)
            .order_by("pk")
            .values_list("pk", flat=True)[:CHUNK]
        )
        if not candidates:
            break
        tried.update(candidates)
        claimed = claim(candidates, now, dead)
        items = list(FeedItem.objects.filter(pk__in=claimed).order_by("pk"))
        try:
            _import_chunk(feed, items, source, get_matcher(), tally, result, progress)
        finally:
            # Whatever happened, nothing this worker claimed stays held (a killed worker's
            # claims go stale instead).
            with bookkeeping():
                FeedItem.objects.filter(pk__in=claimed, status=FeedItemStatus.PENDING).update(
                    claimed_at=None, claimed_by=""
                )
    result.tally = tally


def _import_chunk(feed, items, source, matcher, tally, result, progress):
    records, used_feed_text = [], {}
    for item in items:
        record, note = record_for(item, source)
        if note:
            used_feed_text[item.pk] = note
        records.append(record)

    marks = []  # written together once the chunk's articles are committed

    def done(n, outcome):
        item = items[n - 1]
        if outcome.status == pipeline.FAILED:
            # Worth another try: a page that could not be had, or a write the database
            # refused for now (a lock); not a story the pipeline judged unusable.
            transient = item.pk in used_feed_text or outcome.message.startswith(pipeline.NOT_SAVED)
            failed_for_good = item.attempts >= MAX_ATTEMPTS or not transient
            message = outcome.message
            if item.pk in used_feed_text:
                message = f"{used_feed_text[item.pk]}; the feed's own text: {message}"
            status = FeedItemStatus.FAILED if failed_for_good else FeedItemStatus.PENDING
            marks.append((item.pk, {"status": status, "error": message[:2000]}))
        else:
            marks.append(
                (
                    item.pk,
                    {
                        "status": FeedItemStatus.DONE,
                        "article_id": outcome.article_id,
                        "from_feed_text": item.pk in used_feed_text,
                        "error": used_feed_text.get(item.pk, ""),
                    },
                )
            )
            if item.pk in used_feed_text:
                result.from_feed_text += 1
        tally[outcome.status] = tally.get(outcome.status, 0) + 1
        if progress:
            progress(f"{item.url}: {outcome.status} {outcome.message}")

    # A chunk is at most one pipeline batch: its articles are committed together, then marked.
    pipeline.import_records(records, publish=feed.publish, source=source, progress=done, matcher=matcher)
    now = timezone.now()
    with bookkeeping():  # one transaction (bulk_update's CASE costs more to build than this)
        for pk, values in marks:
            FeedItem.objects.filter(pk=pk).update(**values, claimed_at=None, claimed_by="", done_at=now)


def record_for(item, source):
    """(Record, note): the item's page as a Record, or — when the page can't be had — the
    feed's own text, with a note saying why."""
    data = item.data or {}
    fallback_date = _date_or_none(data.get("published"))
    try:
        response = fetch(item.url, accept=PAGE_TYPES)
        text = page_text(response)
        return (
            Record(
                where=item.url,
                html=text,
                page_url=response.url,
                source=source,
                author=data.get("author", ""),
                default_published=fallback_date,
            ),
            "",
        )
    except FetchError as exc:
        note = f"page not fetched ({exc})"
    body = feed_text(data.get("content") or data.get("summary") or "")
    record = Record(
        where=item.url,
        title=item.title,
        body=body,
        url=item.url,
        source=source,
        author=data.get("author", ""),
        published=fallback_date,
    )
    return record, note


def _date_or_none(value):
    try:
        return pipeline.parse_published(value)
    except pipeline.RecordError:
        return None


_BLOCK_END = re.compile(r"(?i)<\s*(?:br\s*/?|/p|/div|/h[1-6]|/li|/blockquote)\s*>")


def feed_text(markup):
    """Plain text (paragraphs kept) of the HTML or text a feed carries for an item."""
    if "<" not in markup:
        return html.unescape(markup).strip()
    text = nh3.clean(_BLOCK_END.sub("\n\n", markup), tags=set())
    return "\n\n".join(p.strip() for p in html.unescape(text).split("\n\n") if p.strip())


# --------------------------------------------------------------------------- scheduling


def take_due(now=None):
    """The due feeds this scheduler took (their next poll moved a lease ahead)."""
    now = now or timezone.now()
    taken = []
    for feed_id in Feed.objects.due(now).values_list("pk", flat=True):
        moved = Feed.objects.due(now).filter(pk=feed_id).update(next_poll_at=now + SCHEDULE_LEASE)
        if moved:
            taken.append(feed_id)
    return taken


def schedule_due(now=None):
    """Queue a poll task for each due feed; returns their ids."""
    from ...tasks import poll_feed_task

    taken = take_due(now)
    for feed_id in taken:
        poll_feed_task.enqueue(feed_id)
    return taken


def fetch_now(feed):
    """Queue a poll of this feed at once (the admin's "fetch now")."""
    from ...tasks import poll_feed_task

    Feed.objects.filter(pk=feed.pk).update(next_poll_at=timezone.now() + SCHEDULE_LEASE)
    transaction.on_commit(lambda: poll_feed_task.enqueue(feed.pk))
