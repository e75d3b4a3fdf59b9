"""Print linking precision, recall and F1 per entity type against the annotated stories."""

from django.core.management.base import BaseCommand, CommandError

from articles.ingest import evaluation
from articles.models import Condition


class Command(BaseCommand):
    help = (
        "Run the linker over hand-annotated news stories (tests/data/linking/articles.toml by default) and "
        "print precision, recall and F1 per entity type, then every wrong or missed link. Writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(evaluation.DEFAULT_GOLD), help="Annotated stories (TOML).")

    def handle(self, *args, file, verbosity=1, **options):
        if not Condition.objects.exists():
            raise CommandError("The vocabulary is empty: run `python manage.py load_vocabulary` first.")
        try:
            gold = evaluation.load_gold(file)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        result = evaluation.evaluate(gold)
        self.stdout.write(f"{result.articles} stories\n")
        self.stdout.write(f"{'type':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>5} {'fp':>4} {'fn':>4}")
        for entity_type, score in result.scores.items():
            self.stdout.write(
                f"{entity_type:<12} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f} "
                f"{score.tp:>5} {score.fp:>4} {score.fn:>4}"
            )
        if verbosity >= 1 and result.errors:
            self.stdout.write("\nDifferences from the annotation:")
            for story, entity_type, what, name in result.errors:
                self.stdout.write(f"  {story}: {what} {entity_type} {name}")
        for story, entity_type, name in result.unknown_gold:
            self.stderr.write(self.style.WARNING(f"{story}: gold {entity_type} {name!r} is not in the vocabulary"))
        if result.non_medical_links:
            for story, names in result.non_medical_links.items():
                self.stderr.write(self.style.ERROR(f"{story}: a non-medical story got links: {', '.join(names)}"))
        else:
            self.stdout.write(self.style.SUCCESS("Non-medical stories: no links."))
