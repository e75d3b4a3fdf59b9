"""Write vocabulary specs to the database: create what is missing, never overwrite editors.

Policy, so that a second run changes nothing and curated data is safe:
- an entity is found by its vocabulary key; a missing one is created;
- fields are only filled where the database has them empty (an editor's value wins);
  the corrected fields (a condition's MeSH id and name, see ``CORRECTED``) follow the spec
  too where the loader itself wrote the value: the entity's history shows no editor setting
  it (the loader writes without a user; rows it bulk-created have no history at all). A
  value an editor typed is kept, with a warning. Ids move in two steps (cleared, then set),
  so that two conditions can swap them under the unique constraint;
- a condition's tree numbers follow the spec: a number the loader created that the spec no
  longer gives is deleted (an editor's is kept), so that a number can move to its descriptor;
- aliases are found by (entity, normalised text); missing ones are created and the
  flags and origin (vocabulary or supplement) of aliases the loader itself created
  follow the spec; editors' aliases are left alone; nothing is ever deleted;
- keys retired by a merge are not recreated (their names go to the survivor); a condition
  the MeSH table merges into another (same descriptor, ``EntitySpec.merged_keys``) is merged
  with the editors' merge service when the loader made both, which records the redirect;
- a drug form the vocabulary now folds into its moiety (drug_identity) but that an earlier
  load created is merged into the moiety with the merge service: its links, aliases and
  slug (a redirect) follow, and its key is retired;
- a combination's ingredients are added (never removed); a brand the vocabulary moved from
  an ingredient to its combination leaves the ingredient unless an editor made it.
"""

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify
from simple_history.utils import bulk_update_with_history

from ..models import (
    ALIAS_MODELS,
    AliasKind,
    Condition,
    ConditionTreeNumber,
    Drug,
    DrugAlias,
    EntityRedirect,
    Institution,
    Origin,
)
from ..services import merge_entities

BATCH = 2000
# Fields the loader corrects where it wrote them (the MeSH table fixed the package's ids and names).
CORRECTED = {Condition: ("mesh_id", "name")}
CORRECTION_REASON = "load_vocabulary: MeSH correction"


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
    corrected = CORRECTED.get(model, ())
    existing = {
        row["vocabulary_key"]: row
        for row in model.objects.filter(vocabulary_key__isnull=False).values(
            "pk", "vocabulary_key", "name", *field_names
        )
    }
    corrections = _corrections(model, specs, existing, corrected, retired, report)
    if corrections:
        progress(f"{model._meta.verbose_name_plural}: correcting {len(corrections):,}")
        _apply_corrections(model, corrections, existing)
        counts.updated += len(corrections)
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
        if row is not None and row["pk"] in corrections:
            continue
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


def _editor_set(model, pks, field_names):
    """{(pk, field)} whose current value an editor set: the last history record that changed
    the field has a user. The loader saves without a user and bulk-creates without history."""
    setters = {}
    previous = {}
    records = model.history.filter(id__in=pks).order_by("id", "history_date", "history_id")
    for record in records.values("id", "history_user_id", *field_names).iterator(chunk_size=2000):
        for name in field_names:
            value = record[name]
            if (record["id"], name) not in previous or previous[record["id"], name] != value:
                setters[record["id"], name] = record["history_user_id"]
            previous[record["id"], name] = value
    return {pk_field for pk_field, user in setters.items() if user is not None}


def _corrections(model, specs, existing, corrected, retired, report):
    """{pk: {field: value}} for corrected fields whose loader-written value the spec changes."""
    if not corrected:
        return {}
    wanted = {}
    for key, spec in specs.items():
        row = existing.get(key)
        if row is None or key in retired:
            continue
        values = {"name": spec.name[:255], **spec.fields}
        changes = {name: values.get(name) for name in corrected if (values.get(name) or None) != (row[name] or None)}
        if changes:
            wanted[row["pk"]] = changes
    if not wanted:
        return {}
    by_editor = _editor_set(model, list(wanted), list(corrected))
    corrections = {}
    for pk, changes in wanted.items():
        for name in [name for name in changes if (pk, name) in by_editor]:
            report.warnings.append(f"{model.__name__} #{pk}: {name} was set by an editor; not corrected.")
            del changes[name]
        if changes:
            corrections[pk] = changes
    # A unique value stays with a row that keeps it (an editor's, or a condition outside the vocabulary).
    for name in [f for f in corrected if model._meta.get_field(f).unique]:
        moving = {pk for pk, changes in corrections.items() if name in changes}
        kept = set(
            model.objects.exclude(pk__in=moving).exclude(**{f"{name}__isnull": True}).values_list(name, flat=True)
        )
        for pk in moving:
            value = corrections[pk][name]
            if value and value in kept:
                report.warnings.append(f"{model.__name__} #{pk}: {name} {value} is held by another row; left empty.")
                corrections[pk][name] = None
    return corrections


def _apply_corrections(model, corrections, existing):
    """Write the corrections with history; unique fields are cleared first so that values can swap."""
    objects = {obj.pk: obj for obj in model.objects.filter(pk__in=corrections)}
    unique = [name for name in CORRECTED[model] if model._meta.get_field(name).unique]
    clearing = [objects[pk] for pk, changes in corrections.items() if any(n in changes for n in unique)]
    for obj in clearing:
        for name in unique:
            if name in corrections[obj.pk]:
                setattr(obj, name, None)
    if clearing:
        bulk_update_with_history(clearing, model, unique, batch_size=500, default_change_reason=CORRECTION_REASON)
    fields = sorted({name for changes in corrections.values() for name in changes})
    for pk, changes in corrections.items():
        for name, value in changes.items():
            setattr(objects[pk], name, value)
    bulk_update_with_history(
        list(objects.values()), model, fields, batch_size=500, default_change_reason=CORRECTION_REASON
    )
    by_pk = {row["pk"]: row for row in existing.values()}
    for pk, changes in corrections.items():
        by_pk[pk].update(changes)


def merge_absorbed(model, specs, report, progress):
    """Merge entities the loader made for keys that a spec now absorbs into that spec's entity."""

    loaded = (Origin.VOCABULARY, Origin.SUPPLEMENT)
    absorbed = {key: spec.key for spec in specs.values() for key in spec.merged_keys}
    if not absorbed:
        return
    others = model.objects.filter(vocabulary_key__in=absorbed, origin__in=loaded)
    survivors = {e.vocabulary_key: e for e in model.objects.filter(vocabulary_key__in=set(absorbed.values()))}
    by_survivor = {}
    for other in others:
        survivor = survivors.get(absorbed[other.vocabulary_key])
        if survivor is not None:
            by_survivor.setdefault(survivor, []).append(other)
    for survivor, group in by_survivor.items():
        progress(f"{model._meta.verbose_name_plural}: merging {', '.join(o.name for o in group)} into {survivor.name}")
        plan = merge_entities(survivor=survivor, others=group)
        # The merge service files the others' names as an editor's; here the vocabulary gives them.
        alias_model = ALIAS_MODELS[model]
        alias_model.objects.filter(
            **{alias_model.entity_field: survivor}, text__in=plan.aliases_added, origin=Origin.EDITOR
        ).update(origin=Origin.VOCABULARY, kind=AliasKind.SYNONYM)
        report.counts(model._meta.verbose_name_plural).updated += len(group)


def sync_aliases(entity_model, specs, pk_by_key, report, progress):
    alias_model = ALIAS_MODELS[entity_model]
    entity_field = f"{alias_model.entity_field}_id"
    counts = report.counts(alias_model._meta.verbose_name_plural)
    flags = ("kind", "is_brand", "match_case", "is_ambiguous")
    existing = {
        (row[0], row[1]): row
        for row in alias_model.objects.values_list(entity_field, "normalized", "pk", "origin", *flags, "text")
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
                tuple(row[4:-1]) != tuple(values[f] for f in flags)
                or values["origin"] != row[3]
                or row[-1] != alias.text[:300]
            ):
                # The spelling shown follows the spec too ("ozempic" -> "Ozempic" once it is a brand).
                to_update.append(alias_model(pk=row[2], text=alias.text[:300], **values))
            else:
                counts.unchanged += 1
    if to_create:
        progress(f"{alias_model._meta.verbose_name_plural}: creating {len(to_create):,}")
        _bulk_create(alias_model, to_create, progress, alias_model._meta.verbose_name_plural)
    if to_update:
        # bulk_update writes a CASE over its batch for every row: small batches keep it linear.
        alias_model.objects.bulk_update(to_update, [*flags, "origin", "text"], batch_size=500)
    counts.created += len(to_create)
    counts.updated += len(to_update)


def sync_tree_numbers(specs, pk_by_key, report, progress):
    counts = report.counts("tree numbers")
    wanted = {}
    for key, spec in specs.items():
        condition_pk = pk_by_key.get(key)
        if condition_pk is not None:
            wanted.update(dict.fromkeys(spec.tree_numbers, condition_pk))
    # Numbers the loader created on the conditions it loads now that their spec no longer gives
    # go, unless an editor made or moved them; then each number can move to its descriptor.
    # Conditions outside the specs (a partial load) are not touched.
    loaded = {pk_by_key[key] for key in specs if key in pk_by_key}
    by_editor = set(ConditionTreeNumber.history.filter(history_user__isnull=False).values_list("number", flat=True))
    stale = [
        pk
        for pk, number, condition_pk in ConditionTreeNumber.objects.values_list("pk", "number", "condition_id")
        if condition_pk in loaded and wanted.get(number) != condition_pk and number not in by_editor
    ]
    if stale:
        progress(f"tree numbers: removing {len(stale):,} that MeSH puts elsewhere")
        for start in range(0, len(stale), BATCH):
            ConditionTreeNumber.objects.filter(pk__in=stale[start : start + BATCH]).delete()
        counts.updated += len(stale)
    existing = dict(ConditionTreeNumber.objects.values_list("number", "condition_id"))
    to_create = []
    for number, condition_pk in wanted.items():
        if number in existing:
            if existing[number] != condition_pk:
                report.warnings.append(f"Tree number {number} already belongs to another condition; kept there.")
            counts.unchanged += 1
            continue
        to_create.append(
            ConditionTreeNumber(
                condition_id=condition_pk, number=number, parent_number=ConditionTreeNumber.parent_of(number)
            )
        )
    if to_create:
        progress(f"tree numbers: creating {len(to_create):,}")
        _bulk_create(ConditionTreeNumber, to_create, progress, "tree numbers")
    counts.created += len(to_create)


def merge_drug_forms(specs, pk_by_key, report, progress):
    """Merge drugs loaded earlier as forms (salts, esters...) into the moiety that now absorbs them."""
    counts = report.counts("drug forms merged")
    groups = {}
    for key, spec in specs.items():
        forms = [pk_by_key[form] for form in spec.absorbs if form in pk_by_key]
        if forms and key in pk_by_key:
            groups[pk_by_key[key]] = forms
    if not groups:
        return
    progress(f"drug forms: merging {sum(map(len, groups.values())):,} into {len(groups):,} drugs")
    drugs = Drug.objects.in_bulk([pk for pks in groups.values() for pk in pks] + list(groups))
    for survivor_pk, form_pks in groups.items():
        merge_entities(survivor=drugs[survivor_pk], others=[drugs[pk] for pk in form_pks])
        counts.updated += len(form_pks)
        for key, pk in list(pk_by_key.items()):
            if pk in form_pks:
                del pk_by_key[key]


def sync_ingredients(specs, pk_by_key, report, progress):
    """Add each combination's ingredients; its brands leave the ingredients the package filed them under."""
    counts = report.counts("drug ingredients")
    through = Drug.ingredients.through
    existing = set(through.objects.values_list("from_drug_id", "to_drug_id"))
    wanted = {
        (pk_by_key[key], pk_by_key[ingredient])
        for key, spec in specs.items()
        if key in pk_by_key
        for ingredient in spec.ingredients
        if ingredient in pk_by_key
    }
    to_create = [through(from_drug_id=a, to_drug_id=b) for a, b in sorted(wanted - existing)]
    if to_create:
        progress(f"drug ingredients: adding {len(to_create):,}")
        through.objects.bulk_create(to_create, batch_size=BATCH)
    counts.created += len(to_create)
    counts.unchanged += len(wanted & existing)
    # A brand the vocabulary now gives to a combination leaves the drugs it was filed under before.
    brand_owner = {
        normalized: key
        for key, spec in specs.items()
        if spec.ingredients
        for normalized, alias in spec.aliases.items()
        if alias.is_brand
    }
    key_by_pk = {pk: key for key, pk in pk_by_key.items()}
    stale = [
        pk
        for pk, drug_id, normalized in DrugAlias.objects.filter(
            origin=Origin.VOCABULARY, is_brand=True, normalized__in=list(brand_owner)
        ).values_list("pk", "drug_id", "normalized")
        if key_by_pk.get(drug_id) in specs
        and key_by_pk[drug_id] != brand_owner[normalized]
        and normalized not in specs[key_by_pk[drug_id]].aliases
    ]
    if stale:
        DrugAlias.objects.filter(pk__in=stale).delete()
        report.counts("drug aliases").updated += len(stale)


def load(*, drugs=None, conditions=None, institutions=None, write=None):
    """Load the given specs ({key: EntitySpec} each, None to skip) in one transaction."""
    report = LoadReport()
    progress = Progress(write)
    with transaction.atomic():
        for model, specs in ((Condition, conditions), (Drug, drugs), (Institution, institutions)):
            if specs is None:
                continue
            merge_absorbed(model, specs, report, progress)
            pk_by_key = sync_entities(model, specs, report, progress)
            if model is Drug:
                merge_drug_forms(specs, pk_by_key, report, progress)
            sync_aliases(model, specs, pk_by_key, report, progress)
            if model is Condition:
                sync_tree_numbers(specs, pk_by_key, report, progress)
            if model is Drug:
                sync_ingredients(specs, pk_by_key, report, progress)
            progress(f"{model._meta.verbose_name_plural}: done")
    return report
