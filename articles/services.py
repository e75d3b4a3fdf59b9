"""Writes that touch several models. Keyword-only arguments; each is one transaction."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, DateTimeField, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_update_with_history

from . import reports, stamp
from .models import (
    ALIAS_MODELS,
    ENTITY_MODELS,
    LINK_MODELS,
    AliasKind,
    Article,
    ArticleStatus,
    Condition,
    ConditionTreeNumber,
    Drug,
    DrugClassMember,
    EntityRedirect,
    Institution,
    LinkOrigin,
    LinkStatus,
    Origin,
)
from .text import find_mentions, normalize


def sync_link_dates(*, article_ids):
    """Copy each article's published date onto its link rows while it is public (else NULL).

    The copy is what lets entity pages browse and count through the link tables.
    Call after anything that changes an article's status or published date.
    """
    article_ids = list(article_ids)
    if not article_ids:
        return
    stamp.bump()  # what readers see changes with it: cached results and validators expire
    public_date = Subquery(
        Article.objects.filter(pk=OuterRef("article_id"))
        .annotate(
            public_date=Case(
                When(status=ArticleStatus.PUBLISHED, then="published"),
                default=Value(None),
                output_field=DateTimeField(),
            )
        )
        .values("public_date")[:1]
    )
    for link_model in LINK_MODELS:
        link_model.objects.filter(article_id__in=article_ids).update(published=public_date)


MISSING_DATE = (
    "has no publication date: set the date the source published it before publishing "
    "(a story is never dated today by default)"
)


class MissingDateError(ValueError):
    """Publishing an article whose publication date is unknown."""


def mark_published(article, *, by=None, when=None):
    """Set an (unsaved) article's published state: status, who, when.

    The article must already carry the date its source published it: a missing date is
    never filled with today (MissingDateError). The caller saves it and keeps link dates
    in step (set_status does both).
    """
    if article.published is None:
        raise MissingDateError(f"“{article}” {MISSING_DATE}.")
    now = when or timezone.now()
    article.status = ArticleStatus.PUBLISHED
    article.status_changed_at = now
    article.published_by = by
    return article


@transaction.atomic
def set_status(*, article, status, by=None, when=None):
    """Move an article through draft → in review → published → withdrawn."""
    now = when or timezone.now()
    article.status = status
    article.status_changed_at = now
    if status == ArticleStatus.PUBLISHED:
        mark_published(article, by=by, when=now)
    article.full_clean()
    article.save()
    sync_link_dates(article_ids=[article.pk])
    return article


def publish(*, article, by=None, when=None):
    return set_status(article=article, status=ArticleStatus.PUBLISHED, by=by, when=when)


def unique_slug(model, text, *, max_length=None, suffixes=(), exclude_pk=None):
    """A slug for `text` unused in `model`: tries each suffix, then -2, -3, ..."""
    max_length = max_length or model._meta.get_field("slug").max_length
    base = slugify(text)[: max_length - 20].strip("-") or "item"
    taken = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    candidates = [base, *(f"{base}-{slugify(s)}" for s in suffixes if s)]
    for candidate in candidates:
        if not taken.filter(slug=candidate).exists():
            return candidate
    n = 2
    while taken.filter(slug=f"{base}-{n}").exists():
        n += 1
    return f"{base}-{n}"


# --------------------------------------------------------------------------- mentions


def link_mentions(entity, *, title, body):
    """(matched text, first offset, count, in title) of the entity's names in a story.

    Uses the entity's prefetched aliases (ambiguous ones and names under three letters
    that are not case-matched are left out, as the linker does).
    """
    names = [
        a.normalized for a in entity.aliases.all() if not a.is_ambiguous and (len(a.normalized) >= 3 or a.match_case)
    ]
    spans = find_mentions(body, names)
    in_title = bool(find_mentions(title, names))
    if not spans:
        return "", None, 0, in_title
    start, end = spans[0]
    return body[start:end], start, len(spans), in_title


@transaction.atomic
def refresh_link_mentions(*, article, by=None):
    """Recompute every link's first offset, matched text, mention count and in_title
    after the article's title or body changed. Status and review are left as they are
    (an editor's confirmation or rejection survives). Returns the number of links changed."""
    fields = ["matched_text", "first_offset", "mention_count", "in_title"]
    changed = 0
    for link_model in LINK_MODELS:
        entity_field = link_model.entity_field
        links = link_model.objects.filter(article=article).select_related(entity_field)
        rows = []
        for row in links.prefetch_related(f"{entity_field}__aliases"):
            found = link_mentions(getattr(row, entity_field), title=article.title, body=article.body)
            matched_text, offset, count, in_title = found
            if (row.matched_text, row.first_offset, row.mention_count, row.in_title) != found:
                row.matched_text, row.first_offset = matched_text[:300], offset
                row.mention_count, row.in_title = count, in_title
                rows.append(row)
        if rows:
            bulk_update_with_history(
                rows, link_model, fields, batch_size=500, default_user=by, default_change_reason="article text edited"
            )
        changed += len(rows)
    reports.sync(article_ids=[article.pk])
    return changed


# --------------------------------------------------------------------------- workflow

# Where each status may be reached from. Leaving "published" is a withdrawal; a
# withdrawn article may be published again or go back to draft.
ALLOWED_FROM = {
    ArticleStatus.DRAFT: {ArticleStatus.REVIEW, ArticleStatus.WITHDRAWN},
    ArticleStatus.REVIEW: {ArticleStatus.DRAFT},
    ArticleStatus.PUBLISHED: {ArticleStatus.DRAFT, ArticleStatus.REVIEW, ArticleStatus.WITHDRAWN},
    ArticleStatus.WITHDRAWN: {ArticleStatus.PUBLISHED},
}


class WorkflowError(ValueError):
    """A status change the workflow does not allow; the message says why."""


PUBLISH_PERMISSION = "articles.publish_article"


def may_publish(user):
    """Whether `user` may publish, withdraw and change published articles (a Reviewer, a superuser)."""
    return user is not None and user.has_perm(PUBLISH_PERMISSION)


def published_needs_reviewer(article):
    """Why an Editor's change to a published article is refused (every write path says this)."""
    return (
        f"“{article}” is published: only a Reviewer (who may publish) can change a published article. "
        "Ask a Reviewer to make the change, or to withdraw the article so that it can be edited."
    )


def _check_date(article, status):
    if status == ArticleStatus.PUBLISHED and article.published is None:
        raise WorkflowError(f"“{article}” {MISSING_DATE}.")


def check_transition(*, article, status):
    """Raise WorkflowError unless `article` may move to `status`."""
    current, target = ArticleStatus(article.status), ArticleStatus(status)
    if current == target:
        raise WorkflowError(f"“{article}” is already {target.label}.")
    if current not in ALLOWED_FROM[target]:
        allowed = ", ".join(ArticleStatus(s).label for s in sorted(ALLOWED_FROM[target]))
        raise WorkflowError(f"“{article}” is {current.label}; only {allowed} articles can become {target.label}.")
    _check_date(article, target)


def change_status(*, article, status, by=None, when=None):
    """set_status for one workflow step, refusing steps the workflow does not allow."""
    check_transition(article=article, status=status)
    return set_status(article=article, status=status, by=by, when=when)


# --------------------------------------------------------------------------- link review

REVIEW_STATUSES = (LinkStatus.CONFIRMED, LinkStatus.REJECTED)


@transaction.atomic
def review_links(*, links, status, by=None, when=None):
    """Confirm or reject the links in `links` (a queryset of one link table).

    Records who reviewed each link and when, with a history record per link.
    Links already in that status are left alone. Returns the number changed.
    """
    if status not in REVIEW_STATUSES:
        raise ValueError(f"A review confirms or rejects a link, not {status!r}.")
    now = when or timezone.now()
    # Lock plain rows: the caller's queryset may join (and FOR UPDATE refuses outer joins).
    ids = list(links.values_list("pk", flat=True))
    rows = list(links.model.objects.select_for_update().filter(pk__in=ids).exclude(status=status))
    for row in rows:
        row.status = status
        row.reviewed_by = by
        row.reviewed_at = now
    bulk_update_with_history(
        rows,
        links.model,
        ["status", "reviewed_by", "reviewed_at"],
        batch_size=500,
        default_user=by,
        default_change_reason=f"{LinkStatus(status).label}",
    )
    return len(rows)


# --------------------------------------------------------------------------- merge

# When two links of one article collapse into one, the stronger status wins: an
# editor's decision beats the machine's suggestion, and a confirmation beats a rejection.
STATUS_STRENGTH = {LinkStatus.SUGGESTED: 0, LinkStatus.REJECTED: 1, LinkStatus.CONFIRMED: 2}

# Fields the survivor takes from a merged-away entity where its own are empty.
MERGE_FILL_FIELDS = {
    Condition: ["mesh_id", "description"],
    Drug: ["drugbank_id", "medlineplus_id", "drug_class", "notes", "description"],
    Institution: ["ror_id", "country", "homepage", "description"],
}


class MergeError(ValueError):
    """A merge that cannot be done; the message says why."""


@dataclass
class LinkCollapse:
    """Two links of one article, one to the survivor (`kept`) and one to be removed."""

    kept: object
    removed: object
    status_before: str


@dataclass
class MergePlan:
    """What merging `others` into `survivor` changes. The preview shows it; the merge does it."""

    survivor: object
    others: list
    links_moved: list = field(default_factory=list)
    links_collapsed: list = field(default_factory=list)
    aliases_moved: list = field(default_factory=list)
    aliases_dropped: list = field(default_factory=list)
    aliases_added: list = field(default_factory=list)
    tree_numbers_moved: list = field(default_factory=list)
    # Tree numbers dropped because they lie below another number the survivor will hold
    # (merging a condition with its own ancestor or descendant): (number, the number above it).
    tree_numbers_dropped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    fields_filled: dict = field(default_factory=dict)
    redirects: list = field(default_factory=list)
    redirects_retargeted: int = 0
    history_records: int = 0

    @property
    def verbose_name_plural(self):
        return self.survivor._meta.verbose_name_plural

    def summary(self):
        """One sentence for the message after the merge."""

        def count(items, one, many):
            return f"{len(items)} {one if len(items) == 1 else many}"

        names = ", ".join(f"“{other.name}”" for other in self.others)
        return (
            f"Merged {names} into “{self.survivor.name}”: {count(self.links_moved, 'link', 'links')} moved, "
            f"{count(self.links_collapsed, 'duplicate link', 'duplicate links')} collapsed, "
            f"{count(self.aliases_moved, 'alias', 'aliases')} moved "
            f"({count(self.aliases_dropped, 'duplicate', 'duplicates')} dropped), "
            f"{count(self.tree_numbers_moved, 'tree number', 'tree numbers')} moved"
            f"{f' ({len(self.tree_numbers_dropped)} nested ones removed)' if self.tree_numbers_dropped else ''}, "
            f"{count(self.redirects, 'old address redirects', 'old addresses redirect')} to the survivor."
        )


def _entity_tables(model):
    if model not in ENTITY_MODELS:
        raise MergeError(f"{model.__name__} cannot be merged; only conditions, drugs and institutions.")
    link_model = model._meta.get_field("article_links").related_model
    return link_model, ALIAS_MODELS[model]


def _absorb(kept, removed):
    """Fold link `removed` into `kept` (same article, same entity after the merge)."""
    if STATUS_STRENGTH[removed.status] > STATUS_STRENGTH[kept.status]:
        kept.status = removed.status
        kept.reviewed_by_id = removed.reviewed_by_id
        kept.reviewed_at = removed.reviewed_at
    kept.mention_count = max(kept.mention_count, removed.mention_count)
    kept.confidence = max(kept.confidence, removed.confidence)
    if removed.first_offset is not None and (kept.first_offset is None or removed.first_offset < kept.first_offset):
        kept.first_offset = removed.first_offset
        kept.matched_text = removed.matched_text
    kept.in_title = kept.in_title or removed.in_title
    if removed.origin == LinkOrigin.EDITOR:
        kept.origin = LinkOrigin.EDITOR


def _check_merge(survivor, others):
    """The others without repeats; MergeError for a merge that makes no sense."""
    model = type(survivor)
    if any(type(other) is not model for other in others):
        raise MergeError(f"Only {model._meta.verbose_name_plural} can be merged into a {model._meta.verbose_name}.")
    others = list({other.pk: other for other in others}.values())
    if survivor.pk in {other.pk for other in others}:
        raise MergeError(f"“{survivor}” cannot be merged into itself.")
    if not others:
        raise MergeError(f"Choose at least two {model._meta.verbose_name_plural} to merge.")
    return others


def plan_merge(*, survivor, others):
    """Work out what merging `others` into `survivor` will change, without changing anything.

    Links: each article keeps one link to the survivor; where both were linked, the
    stronger status (confirmed > rejected > suggested), the higher mention count and
    confidence, the earliest mention win. Aliases move unless the survivor already
    has the same normalised name; the others' names become aliases. Tree numbers
    move; empty fields of the survivor are filled from the others; the others' slugs
    and vocabulary keys are recorded as redirects.
    """
    model = type(survivor)
    link_model, alias_model = _entity_tables(model)
    others = _check_merge(survivor, others)
    plan = MergePlan(survivor=survivor, others=others)
    other_pks = [other.pk for other in others]
    rank = {pk: i for i, pk in enumerate(other_pks)}
    link_field, alias_field = link_model.entity_field, alias_model.entity_field

    other_links = link_model.objects.filter(**{f"{link_field}__in": other_pks})
    links = sorted(
        other_links.select_related("article").defer("article__body"),
        key=lambda link: (rank[getattr(link, f"{link_field}_id")], link.pk),
    )
    kept = {
        link.article_id: link
        for link in link_model.objects.filter(**{link_field: survivor}, article_id__in=other_links.values("article_id"))
        .select_related("article")
        .defer("article__body")
    }
    for link in links:
        target = kept.get(link.article_id)
        if target is None:
            kept[link.article_id] = link
            plan.links_moved.append(link)
        else:
            plan.links_collapsed.append(LinkCollapse(kept=target, removed=link, status_before=target.status))
            _absorb(target, link)

    names = set(alias_model.objects.filter(**{alias_field: survivor}).values_list("normalized", flat=True))
    aliases = alias_model.objects.filter(**{f"{alias_field}__in": other_pks})
    for alias in sorted(aliases, key=lambda a: (rank[getattr(a, f"{alias_field}_id")], a.pk)):
        if alias.normalized in names:
            plan.aliases_dropped.append(alias)
        else:
            names.add(alias.normalized)
            plan.aliases_moved.append(alias)
    for other in others:
        if normalize(other.name) and normalize(other.name) not in names:
            names.add(normalize(other.name))
            plan.aliases_added.append(other.name)

    if model is Condition:
        _plan_tree(plan, other_pks)
    for name in MERGE_FILL_FIELDS[model]:
        if getattr(survivor, name) in (None, ""):
            for other in others:
                if getattr(other, name) not in (None, ""):
                    plan.fields_filled[name] = (getattr(other, name), other)
                    break
    entity_type = model._meta.model_name
    plan.redirects = [(other.slug, other.name, other.vocabulary_key or "") for other in others]
    plan.redirects_retargeted = EntityRedirect.objects.filter(entity_type=entity_type, target_id__in=other_pks).count()
    plan.history_records = model.history.filter(id__in=other_pks).count()
    return plan


def _is_below(number, other):
    return number.startswith(other + ".")


def _plan_tree(plan, other_pks):
    """Tree numbers: the others' move to the survivor, except that the survivor never holds a
    number below another of its own (that doubled its breadcrumbs): merging a condition with
    its descendant or ancestor keeps the higher position and drops the nested one."""
    survivor = plan.survivor
    own = list(ConditionTreeNumber.objects.filter(condition=survivor))
    moving = list(ConditionTreeNumber.objects.filter(condition__in=other_pks).select_related("condition"))
    held = [number.number for number in own + moving]
    for number in own + moving:
        above = next((n for n in held if _is_below(number.number, n)), None)
        if above is not None:
            plan.tree_numbers_dropped.append((number, above))
        elif number.condition_id != survivor.pk:
            plan.tree_numbers_moved.append(number)
    for other in plan.others:
        theirs = [n.number for n in moving if n.condition_id == other.pk]
        mine = [n.number for n in own]
        if any(_is_below(a, b) for a in theirs for b in mine):
            plan.warnings.append(f"“{other.name}” is a narrower term of “{survivor.name}” in the MeSH tree.")
        if any(_is_below(b, a) for a in theirs for b in mine):
            plan.warnings.append(f"“{other.name}” is a broader term of “{survivor.name}” in the MeSH tree.")
    if plan.tree_numbers_dropped:
        dropped = ", ".join(f"{number.number} (below {above})" for number, above in plan.tree_numbers_dropped)
        plan.warnings.append(
            f"Merging a condition with its own ancestor or descendant: the survivor keeps the higher "
            f"position, and these nested tree numbers are removed: {dropped}."
        )


def _move_class_memberships(survivor, other_pks, *, by, reason):
    """The merged drugs' drug classes become the survivor's (a class it is already in: dropped)."""
    classes = set(DrugClassMember.objects.filter(drug=survivor).values_list("drug_class_id", flat=True))
    for membership in DrugClassMember.objects.filter(drug_id__in=other_pks).order_by("pk"):
        membership._history_user, membership._change_reason = by, reason
        if membership.drug_class_id in classes:
            membership.delete()
        else:
            classes.add(membership.drug_class_id)
            membership.drug = survivor
            membership.save()


@transaction.atomic
def merge_entities(*, survivor, others, by=None):
    """Merge `others` into `survivor` in one transaction (see plan_merge); returns the plan.

    Every change is recorded in the history with `by` as the user; the others'
    history moves to the survivor, so its history page tells the whole story.
    """
    model = type(survivor)
    link_model, alias_model = _entity_tables(model)
    others = _check_merge(survivor, others)
    stamp.bump()  # in the merge's transaction: cached results naming the others expire with it
    wanted = [survivor.pk, *(other.pk for other in others)]
    locked = {entity.pk: entity for entity in model.objects.select_for_update().filter(pk__in=wanted)}
    gone = [str(pk) for pk in wanted if pk not in locked]
    if gone:
        raise MergeError(f"{model._meta.verbose_name.capitalize()} #{', #'.join(gone)} no longer exists; start again.")
    survivor = locked[survivor.pk]
    plan = plan_merge(survivor=survivor, others=[locked[other.pk] for other in others])
    link_field, alias_field = link_model.entity_field, alias_model.entity_field
    reason = f"merge into “{survivor.name}” (#{survivor.pk})"

    def delete(obj):
        obj._history_user, obj._change_reason = by, reason
        obj.delete()

    # Duplicates go first, so that nothing moved collides with them.
    for collapse in plan.links_collapsed:
        delete(collapse.removed)
    for alias in plan.aliases_dropped:
        delete(alias)

    for link in plan.links_moved:
        setattr(link, link_field, survivor)
    changed_links = {link.pk: link for link in plan.links_moved}
    changed_links.update({collapse.kept.pk: collapse.kept for collapse in plan.links_collapsed})
    link_fields = [link_field, "status", "reviewed_by", "reviewed_at", "mention_count", "confidence"]
    link_fields += ["first_offset", "matched_text", "in_title", "origin"]
    bulk_update_with_history(
        list(changed_links.values()),
        link_model,
        link_fields,
        batch_size=500,
        default_user=by,
        default_change_reason=reason,
    )
    for alias in plan.aliases_moved:
        setattr(alias, alias_field, survivor)
        if alias.kind == AliasKind.NAME:
            alias.kind = AliasKind.SYNONYM
    bulk_update_with_history(
        plan.aliases_moved,
        alias_model,
        [alias_field, "kind"],
        batch_size=500,
        default_user=by,
        default_change_reason=reason,
    )
    for text in plan.aliases_added:
        alias = alias_model(**{alias_field: survivor}, text=text, kind=AliasKind.SYNONYM, origin=Origin.EDITOR)
        alias._history_user, alias._change_reason = by, reason
        alias.save()
    for number, _above in plan.tree_numbers_dropped:
        delete(number)
    for number in plan.tree_numbers_moved:
        number.condition = survivor
    if plan.tree_numbers_moved:
        bulk_update_with_history(
            plan.tree_numbers_moved, ConditionTreeNumber, ["condition"], default_user=by, default_change_reason=reason
        )

    if model is Drug:
        _move_class_memberships(survivor, [other.pk for other in plan.others], by=by, reason=reason)

    entity_type = model._meta.model_name
    other_pks = [other.pk for other in plan.others]
    EntityRedirect.objects.filter(entity_type=entity_type, target_id__in=other_pks).update(target_id=survivor.pk)
    for old_slug, old_name, vocabulary_key in plan.redirects:
        EntityRedirect.objects.update_or_create(
            entity_type=entity_type,
            old_slug=old_slug,
            defaults={"old_name": old_name[:255], "vocabulary_key": vocabulary_key, "target_id": survivor.pk},
        )
    if model in (Drug, Condition):
        reports.merge(field=link_field, survivor_id=survivor.pk, other_ids=other_pks)
    merged_in = "merged in: " + ", ".join(f"“{other.name}” (#{other.pk})" for other in plan.others)
    for other in plan.others:
        delete(other)
    # The others' history (their deletion included) now belongs to the survivor.
    model.history.filter(id__in=other_pks).update(id=survivor.pk)

    for name, (value, _source) in plan.fields_filled.items():
        setattr(survivor, name, value)
    survivor._history_user = by
    survivor._change_reason = merged_in
    survivor.save()
    return plan
