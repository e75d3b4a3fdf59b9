"""Write vocabulary specs to the database: create what is missing, never overwrite editors.

Policy, so that a second run changes nothing and curated data is safe:
- an entity is found by its vocabulary key; a missing one is created;
- fields are only filled where the database has them empty (an editor's value wins);
- aliases are found by (entity, normalised text); missing ones are created and the
  flags and origin (vocabulary or supplement) of aliases the loader itself created
  follow the spec; editors' aliases are left alone; nothing is ever deleted;
- keys retired by a merge are not recreated (their names go to the survivor).
"""

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from ..models import (
    ALIAS_MODELS,
    Condition,
    ConditionTreeNumber,
    Drug,
    EntityRedirect,
    Institution,
    Origin,
)

BATCH = 2000


@dataclass
class TableCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self):
        return f"{self.created:,} created, {self.updated:,} updated, {self.unchanged:,} unchanged"


@dataclass
class LoadReport:
    tables: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def counts(self, name):
        return self.tables.setdefault(name, TableCounts())

    @property
    def changed(self):
        return any(c.created or c.updated for c in self.tables.values())


class Progress:
    """Prints a line per phase and a running counter for long inserts."""

    def __init__(self, write=None):
        self.write = write or (lambda message: None)
        self.started = time.monotonic()

    def __call__(self, message):
        self.write(f"[{time.monotonic() - self.started:5.1f}s] {message}")


def _unique_slug(name, taken, suffix):
    base = slugify(name)[:200].strip("-") or "entity"
    for candidate in (base, f"{base}-{slugify(suffix)}" if suffix else None):
        if candidate and candidate not in taken:
            taken.add(candidate)
            return candidate
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    taken.add(f"{base}-{n}")
    return f"{base}-{n}"


def _bulk_create(model, objects, progress, label):
    total = len(objects)
    for start in range(0, total, BATCH):
        model.objects.bulk_create(objects[start : start + BATCH])
        done = min(start + BATCH, total)
        if (total > BATCH * 5 and (done // BATCH) % 10 == 0) or (done == total and total > BATCH * 5):
            progress(f"  {label}: {done:,}/{total:,}")


def sync_entities(model, specs, report, progress):
    """Create missing entities, fill empty fields; returns {key: pk} for every spec."""
    counts = report.counts(model._meta.verbose_name_plural)
    retired = set(
        EntityRedirect.objects.filter(entity_type=model._meta.model_name)
        .exclude(vocabulary_key="")
        .values_list("vocabulary_key", flat=True)
    )
    field_names = sorted({name for spec in specs.values() for name in spec.fields})
    existing = {
        row["vocabulary_key"]: row
        for row in model.objects.filter(vocabulary_key__isnull=False).values("pk", "vocabulary_key", *field_names)
    }
    unique_fields = [f for f in field_names if model._meta.get_field(f).unique]
    used = {
        name: set(model.objects.exclude(**{f"{name}__isnull": True}).values_list(name, flat=True))
        for name in unique_fields
    }
    taken_slugs = set(model.objects.values_list("slug", flat=True))

    to_create, to_update = [], []
    for key, spec in specs.items():
        if key in retired:
            continue
        row = existing.get(key)
        fields = dict(spec.fields)
        for name in unique_fields:
            value = fields.get(name)
            owner_is_self = row is not None and row.get(name) == value
            if value and value in used[name] and not owner_is_self:
                report.warnings.append(f"{model.__name__} {spec.name!r}: {name} {value} is taken; left empty.")
                fields[name] = None
        if row is None:
            for name in unique_fields:
                if fields.get(name):
                    used[name].add(fields[name])
            suffix = fields.get("mesh_id") or fields.get("drugbank_id") or ""
            to_create.append(
                model(
                    name=spec.name[:255],
                    slug=_unique_slug(spec.name, taken_slugs, suffix),
                    vocabulary_key=key,
                    origin=spec.origin,
                    **{k: v for k, v in fields.items() if v is not None or model._meta.get_field(k).null},
                )
            )
            continue
        changes = {name: value for name, value in fields.items() if value and not row.get(name)}
        if changes:
            to_update.append((row["pk"], changes))
            for name in unique_fields:
                if changes.get(name):
                    used[name].add(changes[name])
        else:
            counts.unchanged += 1

    if to_create:
        progress(f"{model._meta.verbose_name_plural}: creating {len(to_create):,}")
        _bulk_create(model, to_create, progress, model._meta.verbose_name_plural)
    counts.created += len(to_create)
    for pk, changes in to_update:
        # A whole row, so that the history record it writes is complete (created_at, name...).
        obj = model.objects.get(pk=pk)
        for name, value in changes.items():
            setattr(obj, name, value)
        obj.save(update_fields=sorted(changes))
    counts.updated += len(to_update)
    return dict(model.objects.filter(vocabulary_key__isnull=False).values_list("vocabulary_key", "pk"))


def sync_aliases(entity_model, specs, pk_by_key, report, progress):
    alias_model = ALIAS_MODELS[entity_model]
    entity_field = f"{alias_model.entity_field}_id"
    counts = report.counts(alias_model._meta.verbose_name_plural)
    flags = ("kind", "is_brand", "match_case", "is_ambiguous")
    existing = {
        (row[0], row[1]): row
        for row in alias_model.objects.values_list(entity_field, "normalized", "pk", "origin", *flags)
    }
    to_create, to_update = [], []
    for key, spec in specs.items():
        entity_pk = pk_by_key.get(key)
        if entity_pk is None:
            continue
        for normalized, alias in spec.aliases.items():
            row = existing.get((entity_pk, normalized))
            values = {
                "kind": alias.kind,
                "is_brand": alias.is_brand,
                "match_case": alias.match_case,
                "is_ambiguous": alias.is_ambiguous,
            }
            # An alias the supplement now restates (or no longer does) changes between
            # vocabulary and supplement; an editor's or the importer's origin is kept.
            if row is not None:
                values["origin"] = alias.origin if row[3] in (Origin.VOCABULARY, Origin.SUPPLEMENT) else row[3]
            if row is None:
                to_create.append(
                    alias_model(
                        text=alias.text[:300],
                        normalized=normalized[:300],
                        origin=alias.origin,
                        **{entity_field: entity_pk},
                        **values,
                    )
                )
            elif row[3] != Origin.EDITOR and (
                tuple(row[4:]) != tuple(values[f] for f in flags) or values["origin"] != row[3]
            ):
                to_update.append(alias_model(pk=row[2], **values))
            else:
                counts.unchanged += 1
    if to_create:
        progress(f"{alias_model._meta.verbose_name_plural}: creating {len(to_create):,}")
        _bulk_create(alias_model, to_create, progress, alias_model._meta.verbose_name_plural)
    if to_update:
        alias_model.objects.bulk_update(to_update, [*flags, "origin"], batch_size=BATCH)
    counts.created += len(to_create)
    counts.updated += len(to_update)


def sync_tree_numbers(specs, pk_by_key, report, progress):
    counts = report.counts("tree numbers")
    existing = dict(ConditionTreeNumber.objects.values_list("number", "condition_id"))
    to_create = []
    for key, spec in specs.items():
        condition_pk = pk_by_key.get(key)
        if condition_pk is None:
            continue
        for number in spec.tree_numbers:
            if number in existing:
                if existing[number] != condition_pk:
                    report.warnings.append(f"Tree number {number} already belongs to another condition; kept there.")
                counts.unchanged += 1
                continue
            existing[number] = condition_pk
            to_create.append(
                ConditionTreeNumber(
                    condition_id=condition_pk,
                    number=number,
                    parent_number=ConditionTreeNumber.parent_of(number),
                )
            )
    if to_create:
        progress(f"tree numbers: creating {len(to_create):,}")
        _bulk_create(ConditionTreeNumber, to_create, progress, "tree numbers")
    counts.created += len(to_create)


def load(*, drugs=None, conditions=None, institutions=None, write=None):
    """Load the given specs ({key: EntitySpec} each, None to skip) in one transaction."""
    report = LoadReport()
    progress = Progress(write)
    with transaction.atomic():
        for model, specs in ((Condition, conditions), (Drug, drugs), (Institution, institutions)):
            if specs is None:
                continue
            pk_by_key = sync_entities(model, specs, report, progress)
            sync_aliases(model, specs, pk_by_key, report, progress)
            if model is Condition:
                sync_tree_numbers(specs, pk_by_key, report, progress)
            progress(f"{model._meta.verbose_name_plural}: done")
    return report
