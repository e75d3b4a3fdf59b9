"""Recount the facet counts of the largest search results (articles.search.facets)."""

from django.core.management.base import BaseCommand, CommandError

from articles.search import facets


class Command(BaseCommand):
    help = (
        "Precompute search facet counts for every entity (and condition with its narrower conditions) "
        "with more than --min-articles public articles. Run it from cron and after large imports."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-articles",
            type=int,
            default=facets.MIN_ARTICLES,
            help=f"Only result sets larger than this (default {facets.MIN_ARTICLES:,}).",
        )

    def handle(self, *args, min_articles, verbosity=1, **options):
        if min_articles < 0:
            raise CommandError("--min-articles must be zero or more.")
        write = self.stdout.write if verbosity > 1 else None
        report = facets.refresh_snapshots(min_articles=min_articles, write=write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Facet snapshots: {report.snapshots:,} counted, {report.removed:,} removed in {report.seconds:,.1f}s."
            )
        )
