"""Import news articles from .txt, .html/.htm, .json and .jsonl files or directories of them."""

import time

from django.core.management.base import BaseCommand, CommandError

from articles.ingest import pipeline
from articles.ingest.extract import read_path
from articles.ingest.matcher import get_matcher
from articles.models import Condition


class Command(BaseCommand):
    help = (
        "Import articles: clean them, skip duplicates, mark syndicated copies, link conditions, drugs and "
        "institutions (as suggestions for editors) and extract evidence facts. Each article is one "
        "transaction; bad records are reported with file, line and reason, and the exit status is 1 if "
        "any failed. Running the same import again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files or directories (searched recursively).")
        parser.add_argument("--publish", action="store_true", help="Publish the imported articles (default: draft).")
        parser.add_argument("--source", default="", help="Source (outlet) name for records that do not name one.")
        parser.add_argument("--dry-run", action="store_true", help="Do everything but save; report what would happen.")
        parser.add_argument(
            "--update-published",
            action="store_true",
            help="Let records change published articles with the same URL (a Reviewer's decision; without it "
            "such records fail and the published articles stay as they are).",
        )

    def handle(self, *args, paths, publish, source, dry_run, update_published, verbosity=1, **options):
        if not Condition.objects.exists():
            raise CommandError("The vocabulary is empty: run `python manage.py load_vocabulary` first.")
        started = time.monotonic()
        if verbosity >= 1:
            self.stdout.write("Building the entity matcher…")
        matcher = get_matcher()
        if verbosity >= 1:
            self.stdout.write(f"  {matcher.stats['names']:,} names in {matcher.stats['seconds']:.1f}s")

        def records():
            for path in paths:
                yield from read_path(path)

        def progress(n, item):
            if item.status == pipeline.FAILED:
                self.stderr.write(self.style.ERROR(f"FAILED {item.where}: {item.message}"))
            elif verbosity >= 2:
                self.stdout.write(f"  {item.status:<10} {item}")
            if verbosity >= 1 and n % 100 == 0:
                rate = n / max(time.monotonic() - started, 1e-9)
                self.stdout.write(f"  {n:,} records… ({rate:,.0f}/s)")

        report = pipeline.import_records(
            records(),
            publish=publish,
            source=source,
            dry_run=dry_run,
            progress=progress,
            matcher=matcher,
            update_published=update_published,
        )
        if report.new_institutions and verbosity >= 1:
            names = ", ".join(report.new_institutions[:10])
            more = f" and {len(report.new_institutions) - 10} more" if len(report.new_institutions) > 10 else ""
            self.stdout.write(f"Suggested new institutions (review them in the admin): {names}{more}")
        elapsed = time.monotonic() - started
        summary = f"{report.summary()}; {report.links} links suggested ({elapsed:.1f}s)."
        if report.failed:
            self.stdout.write(self.style.WARNING(summary))
            raise CommandError(f"{len(report.failed)} record(s) failed; see the messages above.", returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))
