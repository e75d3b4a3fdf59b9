"""Recompute which drug each story reports for which condition (``DrugConditionReport``, origin
machine) from the stories' text and visible links; an editor's reports are kept. Imports,
text edits, merges and ``load_demo`` keep them current: run this once on a database made
before they existed (migration 0013), or after changing how they are found."""

from django.core.management.base import BaseCommand

from articles import reports
from articles.models import Article, DrugConditionReport, LinkOrigin

BATCH = 500


class Command(BaseCommand):
    help = "Recompute the drug-for-condition reports of every story (an editor's kept)."

    def handle(self, *args, **options):
        ids = list(
            Article.objects.filter(drug_links__isnull=False).distinct().order_by("pk").values_list("pk", flat=True)
        )
        for start in range(0, len(ids), BATCH):
            reports.sync(article_ids=ids[start : start + BATCH])
            if options["verbosity"] > 1:
                self.stdout.write(f"  {min(start + BATCH, len(ids)):,} of {len(ids):,} stories read…")
        stored = DrugConditionReport.objects.filter(origin=LinkOrigin.AUTO).count()
        noun = "story" if len(ids) == 1 else "stories"
        self.stdout.write(
            self.style.SUCCESS(f"{len(ids):,} {noun} with drugs read; {stored:,} machine reports stored.")
        )
