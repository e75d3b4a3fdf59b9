"""MeSH descriptors for the package's conditions: the reference, the project's table, the rule.

The disease package's MeSH ids are often another descriptor's (Necrosis carried Pyroptosis's,
Fever Pyrogens') and its tree numbers come from a later MeSH than its names. NLM's MeSH 2017
tree file (``../shared/mesh/2017MeshTree.txt``: tree number, descriptor UI, name) is the
reference. ``build_table`` decides, once, which descriptor each package condition is and
``write_table`` stores the answer as the project's own data (``data/condition_mesh.tsv``):
ids, names and tree numbers are facts, so the table ships without the reference file, and
``sources.read_conditions`` applies it on every load. ``manage.py check_mesh --write``
regenerates it where the reference is present.

The rule, for one package condition:

1. its name is a 2017 descriptor's name → that descriptor;
2. else the package's id is a 2017 descriptor that one of its tree numbers or one of its
   aliases names too (a descriptor renamed later: "Aortic Dissection", 2017 "Aneurysm,
   Dissecting") → that descriptor;
3. else its aliases name exactly one 2017 descriptor and its tree numbers point nowhere else
   ("Conflict, Psychological", 2017 "Conflict (Psychology)"; a top-level number such as
   C01 says nothing, later MeSH regrouped the categories) → that descriptor;
4. else no id, with the reason. A package id that is not in MeSH 2017 is never kept: it
   cannot be checked, and the package's later ids are as shifted as its older ones (Asthenia
   carried Frailty's). Later descriptors that news uses get their ids in the supplement.

A condition with a descriptor takes the descriptor's 2017 name and every 2017 tree number of
it, and nothing else. A condition without one is placed under its package parent's 2017
positions (``_place_without_descriptor``), which keeps it in its branch for the matcher. Two package conditions with
one descriptor become one entity: the one whose name is the descriptor's survives, the others
are merged into it (their names stay as aliases).
"""

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from ..text import normalize

TABLE_NAME = "condition_mesh.tsv"
REFERENCE_NAME = "2017MeshTree.txt"
MERGED = "merged"  # the reason column of a condition merged into another with the same descriptor


def default_reference_path():
    return Path(settings.BASE_DIR).parent / "shared" / "mesh" / REFERENCE_NAME


@dataclass
class Descriptor:
    ui: str
    name: str
    tree_numbers: list = field(default_factory=list)


@dataclass
class Reference:
    """The MeSH 2017 tree file, read: descriptors by id, by normalised name and by tree number."""

    descriptors: dict  # ui -> Descriptor
    by_name: dict  # normalised name -> ui
    by_tree: dict  # tree number -> ui

    @classmethod
    def read(cls, path=None):
        path = Path(path or default_reference_path())
        descriptors, by_tree = {}, {}
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                parts = line.rstrip("\n").split("\t")
                if n == 1 and parts[0] == "Tree Number":
                    continue
                if len(parts) != 3:
                    raise ValueError(f"{path}:{n}: expected 3 tab-separated columns, got {len(parts)}.")
                number, ui, name = parts
                descriptor = descriptors.setdefault(ui, Descriptor(ui, name))
                descriptor.tree_numbers.append(number)
                by_tree[number] = ui
        for descriptor in descriptors.values():
            descriptor.tree_numbers.sort()
        by_name = {normalize(d.name): ui for ui, d in descriptors.items()}
        return cls(descriptors, by_name, by_tree)


@dataclass
class Row:
    """One package condition's line of the table."""

    key: str
    mesh_id: str = ""
    name: str = ""  # the descriptor's name where it differs from the package's
    tree_numbers: list = field(default_factory=list)
    reason: str = ""  # why there is no id; MERGED for a condition merged into another


def resolve(reference, *, name, package_id, package_trees, aliases):
    """(descriptor ui or None, evidence or reason) for one package condition."""
    by_name = reference.by_name.get(normalize(name))
    if by_name:
        return by_name, "name"
    from_trees = {reference.by_tree[t] for t in package_trees if t in reference.by_tree}
    from_aliases = {reference.by_name[a] for a in aliases if a in reference.by_name}
    if package_id in reference.descriptors and package_id in from_trees | from_aliases:
        return package_id, "id"
    # Top-level numbers (C01, C12) are categories that later MeSH regrouped: no evidence alone.
    from_trees = {reference.by_tree[t] for t in package_trees if "." in t and t in reference.by_tree}
    if len(from_aliases) == 1 and from_trees <= from_aliases:
        return next(iter(from_aliases)), "alias"
    if from_aliases:
        named = ", ".join(sorted(reference.descriptors[ui].name for ui in from_aliases | from_trees))
        return None, f"aliases and tree numbers point to several descriptors ({named})"
    if package_id in reference.descriptors:
        other = reference.descriptors[package_id].name
        return None, f"not a MeSH 2017 descriptor name; the package's id is another descriptor's ({other})"
    if package_id:
        return None, "not in MeSH 2017; the package's later id cannot be checked"
    return None, "not a MeSH 2017 descriptor name: an entry term, supplementary concept or later descriptor"


def build_table(reference, dictionary):
    """The table's rows, one per package condition, from the package dictionary and the reference."""
    data_by_key = dictionary["disease_canonical_to_data"]
    aliases = defaultdict(set)
    for variant, canonicals in dictionary["disease_variant_to_canonical"].items():
        for canonical in canonicals:
            aliases[canonical].add(normalize(variant))
    rows, holders = {}, defaultdict(list)
    for key, data in data_by_key.items():
        name = (data.get("name") or key).strip()
        trees = [t for t in data.get("mesh_tree", []) if t]
        ui, why = resolve(
            reference, name=name, package_id=data.get("mesh_id") or "", package_trees=trees, aliases=aliases[key]
        )
        if ui is None:
            rows[key] = Row(key=key, reason=why)
            continue
        descriptor = reference.descriptors[ui]
        rows[key] = Row(
            key=key,
            mesh_id=ui,
            name=descriptor.name if descriptor.name != name else "",
            tree_numbers=list(descriptor.tree_numbers),
        )
        holders[ui].append((why != "name", key))
    for ui, keys in holders.items():
        if len(keys) < 2:
            continue
        # The condition named as the descriptor survives; the others are merged into it.
        survivor = min(keys)[1]
        for _, key in keys:
            if key != survivor:
                rows[key] = Row(key=key, mesh_id=ui, reason=MERGED, name=survivor)
    _place_without_descriptor(rows, data_by_key, reference)
    return [rows[key] for key in sorted(rows)]


def _place_without_descriptor(rows, data_by_key, reference):
    """Tree numbers, in the 2017 layout, for conditions without a 2017 descriptor.

    The package's numbers are a later MeSH's (virus diseases moved from C02 to C01.925), so
    they are not kept as they are: under a 2017 parent they would sit in the wrong branch
    (COVID-19 under Bacterial Infections and Mycoses). A condition is placed under its
    package parent wherever that parent sits in 2017 (its descriptor's numbers, or the
    parent's own placing; a parent the package lacks is the 2017 descriptor at that number),
    with the package's last number part: COVID-19, a child of
    Coronavirus Infections (C01.925.782.600.550.200 then, C02.782.600.550.200 in 2017), is
    C02.782.600.550.200.163. Where MeSH 2017 gives that number to another descriptor (or a
    condition was placed there first) the next free last part is taken; a condition whose
    parents cannot be placed gets no number.
    """
    owner = {}
    for key, data in data_by_key.items():
        for number in data.get("mesh_tree", []):
            owner.setdefault(number, key)
    placed, claimed = {}, set(reference.by_tree)

    def positions(key, seen):
        row = rows.get(key)
        if row is None or row.reason == MERGED:
            row = rows.get(row.name) if row is not None else None
        if row is None:
            return []
        if row.mesh_id:
            return row.tree_numbers
        if key in placed:
            return placed[key]
        if key in seen:
            return []
        numbers, under = [], set()
        for number in sorted(data_by_key[key].get("mesh_tree", [])):
            parent, _, last = number.rpartition(".")
            if parent in owner:
                bases = positions(owner[parent], seen | {key})
            elif parent in reference.by_tree:  # a parent the package lacks: MeSH 2017's at that number
                bases = reference.descriptors[reference.by_tree[parent]].tree_numbers
            else:
                continue
            for base in sorted(set(bases) - under):  # once under each parent position
                under.add(base)
                # The package's last part, or the next one free under that parent.
                free = (f"{base}.{n:03d}" for n in range(int(last), 1000))
                candidate = next((c for c in free if c not in claimed), None)
                if candidate:
                    claimed.add(candidate)
                    numbers.append(candidate)
        placed[key] = sorted(numbers)
        return placed[key]

    for key in sorted(rows):
        if not rows[key].mesh_id and rows[key].reason != MERGED:
            rows[key].tree_numbers = positions(key, frozenset())


HEADER = (
    "# Which MeSH descriptor each condition of the disease package is (MeSH 2017; see vocabulary/meshref.py).\n"
    "# Generated by `manage.py check_mesh --write`; do not edit by hand (add corrections to conditions.toml).\n"
    "# key<TAB>MeSH id<TAB>MeSH name where it differs (survivor key if merged)<TAB>tree numbers<TAB>reason\n"
)


def write_table(rows, path):
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        for row in rows:
            writer.writerow([row.key, row.mesh_id, row.name, " ".join(row.tree_numbers), row.reason])


def read_table(path):
    """{key: Row} from the table; {} when it is missing."""
    rows = {}
    path = Path(path)
    if not path.exists():
        return rows
    with path.open(encoding="utf-8", newline="") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        for n, parts in enumerate(csv.reader(lines, delimiter="\t"), start=1):
            if len(parts) != 5:
                raise ValueError(f"{path}: row {n} has {len(parts)} columns, expected 5: {parts!r}")
            key, mesh_id, name, trees, reason = parts
            rows[key] = Row(key=key, mesh_id=mesh_id, name=name, tree_numbers=trees.split(), reason=reason)
    return rows
