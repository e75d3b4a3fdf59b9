"""Print performance numbers: query latencies (default) or import throughput (--ingest)."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Benchmarks that print numbers. Default: search latencies over a synthetic corpus "
        "(see --articles). --ingest: import throughput with entity linking. --admin: the admin's pages. "
        "--feeds: following 20 local feeds with background workers (see --workers, --kill)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ingest", action="store_true", help="Measure import throughput with linking.")
        parser.add_argument("--admin", action="store_true", help="Measure the admin's pages (editors' work).")
        parser.add_argument("--feeds", action="store_true", help="Measure polling 20 local feeds with workers.")
        parser.add_argument("--workers", type=int, default=2, help="--feeds: worker processes (default 2).")
        parser.add_argument("--kill", action="store_true", help="--feeds: SIGKILL a worker mid-run, start another.")
        parser.add_argument("--articles", type=int, default=None, help="Corpus size (number of articles).")
        parser.add_argument("--repeat", type=int, default=None, help="Queries (or imports) per measurement.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed for the synthetic data.")
        parser.add_argument("--keep", action="store_true", help="Keep a synthetic corpus for the next run.")

    def handle(self, *args, ingest=False, admin=False, feeds=False, **options):
        if feeds:
            from articles.bench import feeds as bench_module
        elif admin:
            from articles.bench import admin as bench_module
        elif ingest:
            from articles.bench import ingest as bench_module
        else:
            from articles.bench import search as bench_module
        try:
            bench_module.run(self, **options)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
