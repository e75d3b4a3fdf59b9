"""Repair the search index: ``reindex --missing`` indexes published articles that have no
index row (a crash, or a write made outside the import), and says how many there were."""

from django.core.management.base import BaseCommand, CommandError

from articles import indexing

BATCH = 500


class Command(BaseCommand):
    help = "Index the published articles missing from the search index (--missing); --dry-run only counts them."

    def add_arguments(self, parser):
        parser.add_argument("--missing", action="store_true", help="Index published articles without index rows.")
        parser.add_argument("--dry-run", action="store_true", help="Only report how many are missing.")

    def handle(self, *args, missing, dry_run, **options):
        if not missing:
            raise CommandError("Say what to reindex: --missing (a full rebuild is `rebuild_modelsearch_index`).")
        ids = list(indexing.unindexed_published().values_list("pk", flat=True))
        noun = "article" if len(ids) == 1 else "articles"
        if dry_run or not ids:
            self.stdout.write(f"{len(ids)} published {noun} missing from the search index (nothing changed).")
            return
        for start in range(0, len(ids), BATCH):
            indexing.index_articles(ids[start : start + BATCH])
            self.stdout.write(f"  {min(start + BATCH, len(ids)):,} of {len(ids):,} indexed…")
        self.stdout.write(self.style.SUCCESS(f"{len(ids)} published {noun} missing from the search index; indexed."))
