"""Print linking precision, recall and F1 per entity type against the annotated stories."""

from django.core.management.base import BaseCommand, CommandError

from articles.ingest import bc5cdr, evaluation, realnews
from articles.models import Condition


class Command(BaseCommand):
    help = (
        "Run the linker over hand-annotated news stories (tests/data/linking/articles.toml by default) and "
        "print precision, recall and F1 per entity type, then every wrong or missed link. Writes nothing. "
        "--fakehealth scores our annotations of real published stories, read from ../shared at run time; "
        "--bc5cdr scores disease MeSH ids on BC5CDR abstracts (document level)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(evaluation.DEFAULT_GOLD), help="Annotated stories (TOML).")
        parser.add_argument(
            "--bc5cdr",
            metavar="FILE",
            help="Instead: BC5CDR abstracts (PubTator); print document-level disease MeSH precision, recall and F1.",
        )
        parser.add_argument(
            "--fakehealth",
            nargs="?",
            const=str(realnews.DEFAULT_GOLD),
            metavar="GOLD_FILE",
            help="Score real news: our annotations (default tests/data/linking/fakehealth.toml) of FakeHealth "
            "stories, whose texts are read from --corpus.",
        )
        parser.add_argument(
            "--corpus",
            default=str(realnews.DEFAULT_CORPUS),
            help="The FakeHealth healthstory.jsonl (default ../shared/corpora/fakehealth/healthstory.jsonl).",
        )

    def handle(self, *args, file, fakehealth=None, corpus=None, verbosity=1, **options):
        if not Condition.objects.exists():
            raise CommandError("The vocabulary is empty: run `python manage.py load_vocabulary` first.")
        if options.get("bc5cdr"):
            return self.handle_bc5cdr(options["bc5cdr"], verbosity)
        if fakehealth:
            return self.fakehealth(fakehealth, corpus, verbosity)
        try:
            gold = evaluation.load_gold(file)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        result = evaluation.evaluate(gold)
        self.stdout.write(f"{result.articles} stories\n")
        self.write_scores(result.scores)
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

    def write_scores(self, scores):
        self.stdout.write(f"{'type':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>5} {'fp':>4} {'fn':>4}")
        for entity_type, score in scores.items():
            self.stdout.write(
                f"{entity_type:<12} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f} "
                f"{score.tp:>5} {score.fp:>4} {score.fn:>4}"
            )

    def fakehealth(self, gold_file, corpus, verbosity):
        try:
            entries = realnews.load_gold(gold_file)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{gold_file}: {exc}") from exc
        try:
            stories = realnews.attach_texts(entries, realnews.read_corpus(corpus))
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Linking {len(stories)} real stories from {corpus}…")
        result = realnews.evaluate(stories)
        self.stdout.write(f"{result.stories} stories\n")
        self.write_scores(result.scores)
        for gold_type, why in result.skipped.items():
            self.stderr.write(self.style.WARNING(f"{gold_type}: not scored, {why}"))
        if verbosity >= 1 and result.errors:
            self.stdout.write("\nDifferences from the annotation:")
            for story, gold_type, what, name in result.errors:
                self.stdout.write(f"  {story}: {what} {gold_type} {name}")
        gaps = [gap for gap in result.gaps if gap[1] != realnews.INSTITUTION]
        if gaps:
            self.stdout.write("\nVocabulary gaps (gold names that resolve to no single entity; counted as missed):")
            for story, gold_type, name, why in gaps:
                self.stdout.write(f"  {story}: {gold_type} {name!r}: {why}")
        new = [gap for gap in result.gaps if gap[1] == realnews.INSTITUTION]
        if new and verbosity >= 1:
            self.stdout.write(
                f"\n{len(new)} gold institutions are not in the vocabulary "
                "(compared by name with the institutions the import would create):"
            )
            for story, _, name, why in new:
                self.stdout.write(f"  {story}: {name!r}: {why}")

    def handle_bc5cdr(self, path, verbosity):
        try:
            documents = bc5cdr.read_file(path)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc) if isinstance(exc, bc5cdr.PubTatorError) else f"{path}: {exc}") from exc
        self.stdout.write(f"{len(documents)} abstracts in {path}")
        progress = (lambda n: self.stdout.write(f"  {n}/{len(documents)}")) if verbosity >= 2 else None
        result = bc5cdr.evaluate(documents, progress=progress)
        score = result.score
        self.stdout.write(f"{'':<24} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
        self.stdout.write(
            f"{'disease MeSH (document)':<24} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f} "
            f"{score.tp:>5} {score.fp:>5} {score.fn:>5}"
        )
        if verbosity >= 2:
            names = dict(Condition.objects.exclude(mesh_id=None).values_list("mesh_id", "name"))
            false_positives, false_negatives = result.commonest_errors(40)
            sections = (("Commonest false positives:", false_positives), ("Commonest misses:", false_negatives))
            for label, rows in sections:
                self.stdout.write(f"\n{label}")
                for mesh_id, count in rows:
                    self.stdout.write(f"  {count:>4}  {mesh_id}  {names.get(mesh_id, '(not in the vocabulary)')}")
