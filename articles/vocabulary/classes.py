"""Drug classes as data: read ``data/drug_classes.toml`` and write it to the database.

A class is an entity of its own (``DrugClass``) with aliases as news writes them and
member drugs named by any of their names. Reading (``read_classes``) checks the file
and touches nothing; writing (``load_classes``) follows the loader's policy: classes and
aliases go through ``loader.sync_entities`` / ``loader.sync_aliases`` (create what is
missing, never overwrite an editor), a parent is set only where none is, and missing
memberships are added, never removed. A second run changes nothing.

Members are resolved to drugs at load time, so the vocabulary must be loaded first. A
member no drug answers to is an error naming the class and the name (``strict``), or a
warning when only part of the vocabulary is loaded (``--limit``).

Drug's free-text ``drug_class`` stays as a short label ("CGRP receptor antagonist
(gepant)"); where a label (its words before any parenthesis) is one of a class's names,
the drug is made a member too, so the labels curated in drugs.toml become memberships.
"""

import re
import tomllib
from collections import defaultdict

from django.db import transaction
from simple_history.utils import bulk_update_with_history

from ..models import AliasKind, Drug, DrugAlias, DrugClass, DrugClassMember, Origin
from ..text import normalize
from . import loader
from .sources import DATA_DIR, EntitySpec, VocabularyError

CLASSES_FILE = DATA_DIR / "drug_classes.toml"
# What a [[class]] block may say, and how each list of names becomes aliases.
ALIAS_LISTS = {
    "aliases": {"kind": AliasKind.SYNONYM},
    "lay": {"kind": AliasKind.LAY},
    "abbreviations": {"kind": AliasKind.ABBREVIATION, "match_case": True},
    "ambiguous": {"kind": AliasKind.LAY, "is_ambiguous": True},
}
KEYS = {"name", "parent", "description", "members", *ALIAS_LISTS}
_PARENTHESIS = re.compile(r"\s*\(.*$")


class ClassSpec(EntitySpec):
    """An EntitySpec with the class's parent and member names."""

    def __init__(self, *, key, name, parent="", members=(), description=""):
        super().__init__(key=key, name=name, origin=Origin.SUPPLEMENT, fields={"description": description})
        self.parent = parent
        self.members = list(members)


def class_key(name):
    return f"class:{normalize(name)}"


def read_classes(path=None):
    """{key: ClassSpec} from the TOML file (default ``CLASSES_FILE``); VocabularyError naming what is wrong."""
    path = path or CLASSES_FILE
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise VocabularyError(f"{path.name}: file not found.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise VocabularyError(f"{path.name}: not valid TOML ({exc}).") from exc
    specs = {}
    for n, block in enumerate(data.get("class", []), start=1):
        name = str(block.get("name") or "").strip()
        where = f"{path.name}: class {name!r}" if name else f"{path.name}: class #{n}"
        if not name:
            raise VocabularyError(f"{where} has no name.")
        unknown = sorted(set(block) - KEYS)
        if unknown:
            raise VocabularyError(f"{where} has unknown keys {unknown}; use {sorted(KEYS)}.")
        key = class_key(name)
        if key in specs:
            raise VocabularyError(f"{where} is listed twice.")
        members = block.get("members", [])
        if not isinstance(members, list) or not all(isinstance(m, str) and m.strip() for m in members):
            raise VocabularyError(f"{where}: members must be a list of drug names.")
        spec = specs[key] = ClassSpec(
            key=key,
            name=name,
            parent=str(block.get("parent") or "").strip(),
            members=[m.strip() for m in members],
            description=" ".join(str(block.get("description") or "").split()),
        )
        spec.add_alias(name, kind=AliasKind.NAME, origin=Origin.SUPPLEMENT)
        listed = {}
        for list_name, flags in ALIAS_LISTS.items():
            for text in block.get(list_name, []):
                if not isinstance(text, str) or not normalize(text):
                    raise VocabularyError(f"{where}: {list_name} holds {text!r}, which is not a name.")
                earlier = listed.setdefault(normalize(text), list_name)
                if earlier != list_name:
                    raise VocabularyError(f"{where}: {text!r} is listed in both {earlier} and {list_name}.")
                spec.add_alias(text, origin=Origin.SUPPLEMENT, **flags)
    _add_short_forms(specs)
    _check_aliases(specs, path)
    _check_parents(specs, path)
    return specs


# "blood pressure drugs" is also "blood pressure meds", as readers and headlines write it.
SHORT_FORMS = {"drugs": "meds", "medications": "meds", "medicines": "meds", "drug": "med", "medication": "med"}


def _add_short_forms(specs):
    """Add 'X meds' for each 'X drugs' / 'X medications' name (same kind and flags), unless
    another class has that name."""
    taken = {normalized for spec in specs.values() for normalized in spec.aliases}
    for spec in specs.values():
        for alias in list(spec.aliases.values()):
            words = alias.text.split()
            if len(words) < 2 or alias.match_case or words[-1].casefold() not in SHORT_FORMS:
                continue
            text = " ".join([*words[:-1], SHORT_FORMS[words[-1].casefold()]])
            normalized = normalize(text)
            if normalized in taken and normalized not in spec.aliases:
                continue
            taken.add(normalized)
            kind = AliasKind.SYNONYM if alias.kind == AliasKind.NAME else alias.kind
            spec.add_alias(text, kind=kind, is_ambiguous=alias.is_ambiguous, origin=alias.origin)


def _check_aliases(specs, path):
    """One class per name: a name shared by two classes could link to neither."""
    owners = {}
    for spec in specs.values():
        for normalized, alias in spec.aliases.items():
            other = owners.setdefault(normalized, spec.name)
            if other != spec.name and not alias.is_ambiguous:
                raise VocabularyError(f"{path.name}: {alias.text!r} names both {other!r} and {spec.name!r}.")


def _check_parents(specs, path):
    for spec in specs.values():
        seen, parent = {spec.key}, spec.parent
        while parent:
            key = class_key(parent)
            if key not in specs:
                raise VocabularyError(f"{path.name}: class {spec.name!r} has unknown parent {parent!r}.")
            if key in seen:
                raise VocabularyError(f"{path.name}: class {spec.name!r} sits below itself (parent {parent!r}).")
            seen.add(key)
            parent = specs[key].parent


# --------------------------------------------------------------------------- writing


def _drug_index(names):
    """{normalised name: [(rank, drug pk, name)]} for these names, from the drugs' aliases (a
    drug's own name is an alias too): its name first (written exactly so before a name that
    only normalises the same, "Epoetin Alfa" before "Epoetin Alfa,"), then curated aliases,
    then the package's, and last a name the vocabulary took for a misspelling (an INN beside
    its USAN, "torasemide" / "torsemide": the class file is curated, so a name it writes is
    real). Reads the alias index, a few hundred names a query."""
    ordered = sorted({normalize(name) for name in names})
    index = defaultdict(list)
    for start in range(0, len(ordered), 500):
        rows = DrugAlias.objects.filter(normalized__in=ordered[start : start + 500]).values_list(
            "normalized", "drug_id", "origin", "kind", "text"
        )
        for normalized, pk, origin, kind, text in rows:
            if kind == AliasKind.NAME:
                index[normalized].append((0, pk, text.strip().casefold()))
            elif kind == AliasKind.MISSPELLING:
                index[normalized].append((3, pk, ""))
            else:
                index[normalized].append((1 if origin != Origin.VOCABULARY else 2, pk, ""))
    return index


def resolve_member(index, name):
    """The drug pk a member name stands for, or None; ValueError when it is ambiguous."""
    options = index.get(normalize(name))
    if not options:
        return None
    written = name.strip().casefold()
    ranked = [(rank - (rank == 0 and exact == written), pk) for rank, pk, exact in options]
    best = min(rank for rank, _ in ranked)
    pks = sorted({pk for rank, pk in ranked if rank == best})
    if len(pks) > 1:
        raise ValueError(f"{name!r} names {len(pks)} drugs (ids {pks[:5]})")
    return pks[0]


def sync_parents(specs, pk_by_key, report):
    """Set the parent the file names where a class has none (one bulk update, with history)."""
    counts = report.counts("drug class parents")
    current = dict(DrugClass.objects.filter(vocabulary_key__isnull=False).values_list("vocabulary_key", "parent_id"))
    wanted = {}
    for key, spec in specs.items():
        if not spec.parent or key not in pk_by_key:
            continue
        parent_pk = pk_by_key.get(class_key(spec.parent))
        if current.get(key) is not None or parent_pk is None:
            counts.unchanged += 1
        else:
            wanted[pk_by_key[key]] = parent_pk
    changed = list(DrugClass.objects.filter(pk__in=list(wanted)))  # whole rows: complete history records
    for drug_class in changed:
        drug_class.parent_id = wanted[drug_class.pk]
    if changed:
        bulk_update_with_history(changed, DrugClass, ["parent"], batch_size=loader.BATCH)
    counts.updated += len(changed)


def sync_members(specs, pk_by_key, report, progress, *, strict=True):
    """Add the memberships the file and the drugs' class labels state; remove none."""
    counts = report.counts("drug class members")
    index = _drug_index(name for spec in specs.values() for name in spec.members)
    wanted = set()
    problems = []
    for key, spec in specs.items():
        class_pk = pk_by_key.get(key)
        if class_pk is None:
            continue
        for name in spec.members:
            try:
                drug_pk = resolve_member(index, name)
            except ValueError as exc:
                problems.append(f"Drug class {spec.name!r}: member {exc}; name the drug exactly.")
                continue
            if drug_pk is None:
                problems.append(f"Drug class {spec.name!r}: member {name!r} is not a drug in the vocabulary.")
                continue
            wanted.add((class_pk, drug_pk))
    class_by_alias = {}
    for key, spec in specs.items():
        for normalized, alias in spec.aliases.items():
            if not alias.is_ambiguous and key in pk_by_key:
                class_by_alias[normalized] = pk_by_key[key]
    labelled = dict(Drug.objects.exclude(drug_class="").values_list("pk", "drug_class"))
    # A package entry that goes by a class's name ("Hydroxymethylglutaryl-CoA Reductase
    # Inhibitors", also "statins") is the class itself, not a member of it.
    named_like_a_class = {
        pk
        for pk, normalized in DrugAlias.objects.filter(drug_id__in=list(labelled)).values_list("drug_id", "normalized")
        if normalized in class_by_alias
    }
    for drug_pk, label in labelled.items():
        class_pk = class_by_alias.get(normalize(_PARENTHESIS.sub("", label)))
        if class_pk is not None and drug_pk not in named_like_a_class:
            wanted.add((class_pk, drug_pk))
    if problems and strict:
        raise VocabularyError("\n".join(problems))
    report.warnings.extend(problems)
    existing = set(DrugClassMember.objects.values_list("drug_class_id", "drug_id"))
    to_create = [
        DrugClassMember(drug_class_id=class_pk, drug_id=drug_pk, origin=Origin.SUPPLEMENT)
        for class_pk, drug_pk in sorted(wanted - existing)
    ]
    if to_create:
        progress(f"drug class members: creating {len(to_create):,}")
        DrugClassMember.objects.bulk_create(to_create, batch_size=loader.BATCH)
    counts.created += len(to_create)
    counts.unchanged += len(wanted & existing)


def load_classes(specs, *, report=None, write=None, strict=True):
    """Write class specs (read_classes) after the drugs; one transaction; returns the report."""
    report = report or loader.LoadReport()
    progress = loader.Progress(write)
    with transaction.atomic():
        pk_by_key = loader.sync_entities(DrugClass, specs, report, progress)
        loader.sync_aliases(DrugClass, specs, pk_by_key, report, progress)
        sync_parents(specs, pk_by_key, report)
        sync_members(specs, pk_by_key, report, progress, strict=strict)
        progress("drug classes: done")
    return report
