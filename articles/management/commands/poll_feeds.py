"""Poll the feeds that are due: as a scheduler for the workers, or once, here and now."""

import time

from django.core.management.base import BaseCommand, CommandError

from articles.ingest.feeds import poll
from articles.models import Feed, FetchStatus


class Command(BaseCommand):
    help = (
        "Follow the outlets' feeds. Without --once: a scheduler that, every --interval seconds, queues each "
        "due feed for the background workers (`manage.py db_worker`), until stopped. With --once: poll the "
        "due feeds here and now (no worker needed), then print a summary. --feed ID polls that feed now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Poll the due feeds in this process, then stop.")
        parser.add_argument("--feed", type=int, action="append", metavar="ID", help="Poll this feed now (repeatable).")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between scheduler rounds.")

    def handle(self, *args, once, feed, interval, verbosity=1, **options):
        if feed:
            missing = sorted(set(feed) - set(Feed.objects.filter(pk__in=feed).values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"no feed with id {', '.join(map(str, missing))} (see the admin's Feeds list)")
            return self.poll_now(feed, verbosity)
        if once:
            return self.poll_now(poll.take_due(), verbosity)
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds")
        self.stdout.write(f"Scheduling due feeds every {interval:g} s for the workers (Ctrl-C stops)…")
        try:
            while True:
                queued = poll.schedule_due()
                if queued and verbosity >= 1:
                    self.stdout.write(f"queued {len(queued)} feed{'s' if len(queued) != 1 else ''}: {queued}")
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("stopped")

    def poll_now(self, feed_ids, verbosity):
        if not feed_ids:
            self.stdout.write("No feed is due.")
            return
        failed = imported = 0
        for n, feed_id in enumerate(feed_ids, 1):
            if verbosity >= 1:
                self.stdout.write(f"[{n}/{len(feed_ids)}] polling feed {feed_id}…")
            progress = (lambda message: self.stdout.write(f"  {message}")) if verbosity >= 2 else None
            result = poll.poll_feed(feed_id, progress=progress)
            imported += result.count("created") + result.count("syndicated")
            if result.status == FetchStatus.FAILED:
                failed += 1
                self.stderr.write(self.style.ERROR(f"  {result.summary()}"))
            elif verbosity >= 1:
                self.stdout.write(f"  {result.summary()}")
        summary = f"{len(feed_ids)} feeds polled, {failed} failed, {imported} stories imported"
        self.stdout.write(self.style.SUCCESS(summary) if not failed else self.style.WARNING(summary))
