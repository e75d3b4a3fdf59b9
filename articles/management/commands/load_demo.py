"""Load NewsBase's demo articles (articles/demo/articles.toml) with their curated links."""

from django.core.management.base import BaseCommand, CommandError

from articles import demo
from articles.models import Condition
from articles.search import lexicon


class Command(BaseCommand):
    help = "Create or update the demo knowledge base (run load_vocabulary first). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(demo.DEMO_FILE), help="Articles file (TOML).")

    def handle(self, *args, file, **options):
        if not Condition.objects.exists():
            raise CommandError("The vocabulary is empty: run `python manage.py load_vocabulary` first.")
        try:
            report = demo.load(file)
        except (OSError, KeyError, ValueError, demo.DemoError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        words = lexicon.refresh()  # the typo lexicon of the stories now published
        for missing in report.missing:
            self.stderr.write(self.style.WARNING(f"Not in the vocabulary, not linked: {missing}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo articles: {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged; {report.links} links; {words.words:,} story words for typos."
            )
        )
