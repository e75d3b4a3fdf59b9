"""Check the conditions' MeSH ids against MeSH 2017; list those without an id; regenerate the table.

``manage.py check_mesh`` reads the vocabulary as ``load_vocabulary`` would (no database)
and prints the conditions left without a MeSH id, grouped by reason, and — where the
reference file is present — every condition whose id, name or tree numbers disagree with it.
``--write`` first regenerates ``articles/vocabulary/data/condition_mesh.tsv`` from the
disease package and the reference.
"""

from collections import defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.vocabulary import meshref, sources


class Command(BaseCommand):
    help = (
        "List the conditions without a MeSH id by reason, and check ids, names and tree numbers "
        "against the MeSH 2017 tree file (../shared/mesh/2017MeshTree.txt). --write regenerates "
        "the project's MeSH table from the disease package and that file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reference", help="The MeSH tree file (default ../shared/mesh/2017MeshTree.txt).")
        parser.add_argument("--write", action="store_true", help="Regenerate data/condition_mesh.tsv first.")
        parser.add_argument("--examples", type=int, default=8, help="Conditions shown per reason (default 8).")

    def handle(self, *args, reference=None, write=False, examples=8, **options):
        path = Path(reference) if reference else meshref.default_reference_path()
        ref = None
        if path.exists():
            try:
                ref = meshref.Reference.read(path)
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the MeSH reference: {exc}") from exc
            self.stdout.write(f"Reference: {path} ({len(ref.descriptors):,} descriptors).")
        elif write or reference:
            raise CommandError(f"The MeSH reference {path} does not exist.")
        try:
            if write:
                rows = meshref.build_table(ref, sources.disease_dictionary())
                target = sources.DATA_DIR / meshref.TABLE_NAME
                meshref.write_table(rows, target)
                with_id = sum(1 for row in rows if row.mesh_id and row.reason != meshref.MERGED)
                merged = sum(1 for row in rows if row.reason == meshref.MERGED)
                self.stdout.write(
                    f"Wrote {target.name}: {len(rows):,} package conditions, {with_id:,} with a descriptor, "
                    f"{merged:,} merged into another, {len(rows) - with_id - merged:,} without."
                )
            specs = sources.read_conditions()
        except sources.VocabularyError as exc:
            raise CommandError(str(exc)) from exc

        self._without_id(specs, examples)
        if ref is None:
            self.stdout.write("The reference is not present: ids were not compared with MeSH.")
            return
        problems = mismatches(specs, ref)
        for problem in problems[:50]:
            self.stdout.write(f"  {problem}")
        if problems:
            raise CommandError(f"{len(problems):,} conditions disagree with MeSH 2017.")
        self.stdout.write(self.style.SUCCESS(f"All {len(specs):,} conditions agree with MeSH 2017."))

    def _without_id(self, specs, examples):
        table = meshref.read_table(sources.DATA_DIR / meshref.TABLE_NAME)
        by_reason = defaultdict(list)
        for key, spec in specs.items():
            if spec.fields.get("mesh_id"):
                continue
            row = table.get(key)
            reason = row.reason if row else "created by the supplement without an id: no certain descriptor"
            # "reason (detail)": grouped by the reason, the detail shown with the name.
            reason, _, detail = reason.partition(" (")
            by_reason[reason].append(f"{spec.name} ({detail}" if detail else spec.name)
        total = sum(len(names) for names in by_reason.values())
        self.stdout.write(f"{total:,} of {len(specs):,} conditions have no MeSH id:")
        for reason, names in sorted(by_reason.items(), key=lambda item: -len(item[1])):
            shown = ", ".join(sorted(names)[:examples])
            more = f" … and {len(names) - examples:,} more" if len(names) > examples else ""
            self.stdout.write(f"  {len(names):5,}  {reason}: {shown}{more}")


def mismatches(specs, reference):
    """Every disagreement between the condition specs and the MeSH reference, as sentences."""
    problems = []
    for spec in specs.values():
        ui = spec.fields.get("mesh_id")
        descriptor = reference.descriptors.get(ui) if ui else None
        if descriptor is not None:
            if spec.name != descriptor.name:
                problems.append(f"{spec.name!r} has {ui}, which MeSH names {descriptor.name!r}.")
            if sorted(spec.tree_numbers) != descriptor.tree_numbers:
                problems.append(
                    f"{spec.name!r} ({ui}) has tree numbers {sorted(spec.tree_numbers)}; "
                    f"MeSH has {descriptor.tree_numbers}."
                )
            continue
        named = reference.by_name.get(sources.normalize(spec.name))
        if named:
            problems.append(f"{spec.name!r} is MeSH descriptor {named} but has id {ui}.")
        taken = [t for t in spec.tree_numbers if t in reference.by_tree]
        if taken:
            problems.append(f"{spec.name!r} ({ui or 'no id'}) holds MeSH 2017 tree numbers of others: {taken}.")
    return problems
