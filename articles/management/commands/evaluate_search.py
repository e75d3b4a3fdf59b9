"""Print search ranking measures (recall@10, MRR, nDCG@10, zero results) per query kind."""

import time

from django.core.management.base import BaseCommand, CommandError

from articles import search_eval
from articles.ingest import realnews
from articles.models import Condition


class Command(BaseCommand):
    help = (
        "Run our judged reader queries (tests/data/search/queries.toml by default) through the search "
        "service and print recall@10, MRR, nDCG@10 and the zero-result rate per kind and overall, the "
        "queries that return nothing and the worst queries. The FakeHealth stories are read from --corpus "
        "and imported (published) into the current database when none of them is there yet; nothing "
        "else is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queries", default=str(search_eval.DEFAULT_QUERIES), help="Judged queries (TOML).")
        parser.add_argument(
            "--corpus",
            default=str(search_eval.DEFAULT_CORPUS),
            help="The FakeHealth healthstory.jsonl (default ../shared/corpora/fakehealth/healthstory.jsonl).",
        )
        parser.add_argument("--worst", type=int, default=15, help="How many of the worst queries to list.")

    def handle(self, *args, queries, corpus, worst, verbosity=1, **options):
        if not Condition.objects.exists():
            raise CommandError("The vocabulary is empty: run `python manage.py load_vocabulary` first.")
        try:
            judged = search_eval.load_queries(queries)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{queries}: {exc}") from exc
        try:
            stories = realnews.read_corpus(corpus)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if search_eval.corpus_present(stories):
            if verbosity >= 1:
                self.stdout.write(f"The {len(stories):,} stories of {corpus} are already imported.")
        else:
            self.import_corpus(corpus, len(stories), verbosity)

        started = time.monotonic()
        self.stdout.write(f"Running {len(judged)} queries through search…")

        def progress(n, result):
            if verbosity >= 2:
                self.stdout.write(
                    f"  {result.query.kind:<15} {result.query.q!r}: {result.hits} results, "
                    f"first judged story at {result.first_rank or '-'}"
                )
            elif verbosity >= 1 and n % 50 == 0:
                self.stdout.write(f"  {n} queries…")

        evaluation = search_eval.evaluate(judged, progress=progress)
        elapsed = time.monotonic() - started
        self.write_table(evaluation)
        self.write_empty(evaluation)
        self.write_worst(evaluation, worst)
        if evaluation.missing_urls:
            self.stderr.write(
                self.style.WARNING(
                    f"{len(evaluation.missing_urls)} judged stories are not in the database (the import "
                    "rejected them) and were left out of their queries."
                )
            )
            if verbosity >= 2:
                for url in evaluation.missing_urls:
                    self.stderr.write(f"  {url}")
        overall = evaluation.summary()
        self.stdout.write(
            self.style.SUCCESS(
                f"{overall.queries} queries in {elapsed:.1f}s: recall@10 {overall.recall:.3f}, MRR {overall.mrr:.3f}, "
                f"nDCG@10 {overall.ndcg:.3f}, {overall.zero} with no result."
            )
        )

    def import_corpus(self, corpus, count, verbosity):
        self.stdout.write(f"Importing the {count:,} stories of {corpus} (published)…")
        started = time.monotonic()

        def progress(n, item):
            if verbosity >= 1 and n % 200 == 0:
                self.stdout.write(f"  {n:,} records… ({n / max(time.monotonic() - started, 1e-9):,.0f}/s)")

        report = search_eval.import_corpus(corpus, progress=progress)
        self.stdout.write(f"  {report.summary()} ({time.monotonic() - started:.1f}s).")

    def write_table(self, evaluation):
        self.stdout.write(f"\n{'kind':<15} {'queries':>7} {'recall@10':>9} {'MRR':>6} {'nDCG@10':>7} {'zero':>6}")
        rows = [*evaluation.by_kind().items(), ("overall", evaluation.summary())]
        for kind, s in rows:
            self.stdout.write(
                f"{kind:<15} {s.queries:>7} {s.recall:>9.3f} {s.mrr:>6.3f} {s.ndcg:>7.3f} {s.zero_rate:>6.3f}"
            )

    def write_empty(self, evaluation):
        empty = evaluation.empty()
        if not empty:
            self.stdout.write("\nNo query with a judged story came back empty.")
            return
        self.stdout.write(f"\nEmpty answers for queries with a judged story ({len(empty)}):")
        for r in empty:
            self.stdout.write(f"  {r.query.kind:<15} {r.query.q!r} ({r.judged} judged)")

    def write_worst(self, evaluation, count):
        if count <= 0:
            return
        self.stdout.write(f"\nWorst {count} queries (nDCG@10, then MRR):")
        for r in evaluation.worst(count):
            self.stdout.write(
                f"  {r.query.kind:<15} {r.query.q!r:<36} nDCG {r.ndcg:.3f}  RR {r.rr:.3f}  "
                f"recall {r.recall:.3f}  {len(r.found)}/{r.judged} judged in top 10, {r.total} results"
            )
