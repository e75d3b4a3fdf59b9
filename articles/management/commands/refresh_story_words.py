"""Recount the words public stories use, the typo candidates beside names (articles.search.lexicon)."""

from django.core.management.base import BaseCommand

from articles.search import lexicon


class Command(BaseCommand):
    help = (
        "Recount the words public stories use (typo corrections towards everyday words, "
        "“colonoscapy” → colonoscopy). Run it from cron and after large imports."
    )

    def handle(self, *args, **options):
        report = lexicon.refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"Story words: {report.words:,} words from {report.stories:,} stories in {report.seconds:,.1f}s."
            )
        )
