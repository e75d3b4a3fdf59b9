"""Which drug a story reports for which condition: both named in one sentence.

A story that names a drug and a condition anywhere does not report the one for the other
(a cancer drug in the first paragraph, heart disease as a risk in the last). ``sync``
stores a DrugConditionReport (origin auto) for each drug and condition of a story whose
names meet in a sentence, from the story's visible links and their entities' names;
an editor's own rows (origin editor) are kept. ``reported_for`` reads a drug's
conditions with the number of published stories that report each (one query).
"""

from bisect import bisect_right
from itertools import product

from django.db import transaction
from django.db.models import Count, Exists, OuterRef

from .ingest.everyday import sentence_starts
from .models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleStatus,
    DrugConditionReport,
    LinkOrigin,
)
from .text import find_mentions

REPORTED_SIZE = 8


def _names(entity):
    """The normalised names the linker matches (as ``services.link_mentions``: no ambiguous ones)."""
    return [
        a.normalized for a in entity.aliases.all() if not a.is_ambiguous and (len(a.normalized) >= 3 or a.match_case)
    ]


def reported_pairs(body, drugs, conditions):
    """{(drug id, condition id)} of the drugs and conditions (entities with prefetched aliases)
    named in one sentence of `body`. A name inside a longer one ("alopecia" in "alopecia
    areata") is not a mention of its own, as in the linker."""
    spans = {
        (kind, entity.pk): find_mentions(body, _names(entity))
        for kind, entities in (("drug", drugs), ("condition", conditions))
        for entity in entities
    }
    every = [span for found in spans.values() for span in found]

    def inside_longer(start, end):
        return any(s <= start and end <= e and (e - s) > (end - start) for s, e in every)

    starts = sentence_starts(body)
    sentences = {
        key: {bisect_right(starts, start) for start, end in found if not inside_longer(start, end)}
        for key, found in spans.items()
    }
    return {
        (drug_id, condition_id)
        for (drug_kind, drug_id), (condition_kind, condition_id) in product(sentences, sentences)
        if drug_kind == "drug"
        and condition_kind == "condition"
        and sentences[(drug_kind, drug_id)] & sentences[(condition_kind, condition_id)]
    }


@transaction.atomic
def sync(*, article_ids):
    """Recompute the machine's reports of these articles from their text and visible links
    (five queries whatever the number of articles). Returns the number of reports stored."""
    article_ids = list(article_ids)
    if not article_ids:
        return 0
    bodies = dict(Article.objects.filter(pk__in=article_ids).values_list("pk", "body"))
    entities = {}
    for link_model in (ArticleDrug, ArticleCondition):
        field = link_model.entity_field
        links = (
            link_model.objects.visible()
            .filter(article_id__in=article_ids)
            .select_related(field)
            .prefetch_related(f"{field}__aliases")
        )
        for link in links:
            entities.setdefault((link.article_id, field), []).append(getattr(link, field))
    rows = []
    for article_id, body in bodies.items():
        drugs, conditions = entities.get((article_id, "drug"), []), entities.get((article_id, "condition"), [])
        if drugs and conditions:
            rows.extend(
                DrugConditionReport(article_id=article_id, drug_id=d, condition_id=c, origin=LinkOrigin.AUTO)
                for d, c in sorted(reported_pairs(body, drugs, conditions))
            )
    DrugConditionReport.objects.filter(article_id__in=article_ids, origin=LinkOrigin.AUTO).delete()
    DrugConditionReport.objects.bulk_create(rows, ignore_conflicts=True)  # an editor's row stays as it is
    return len(rows)


def merge(*, field, survivor_id, other_ids):
    """A merge of drugs or conditions (`field`): the others' reports become the survivor's. An
    editor's rows move; the machine's are recomputed from the stories (whose links have moved)."""
    rows = DrugConditionReport.objects.filter(**{f"{field}_id__in": other_ids})
    article_ids = set(rows.values_list("article_id", flat=True))
    moved = []
    for article_id, drug_id, condition_id in rows.filter(origin=LinkOrigin.EDITOR).values_list(
        "article_id", "drug_id", "condition_id"
    ):
        ids = {"drug_id": drug_id, "condition_id": condition_id, f"{field}_id": survivor_id}
        moved.append(DrugConditionReport(article_id=article_id, origin=LinkOrigin.EDITOR, **ids))
    rows.delete()
    DrugConditionReport.objects.bulk_create(moved, ignore_conflicts=True)
    sync(article_ids=article_ids)


def public_reports():
    """Reports a reader may see: the story is published and neither of its links is rejected."""
    visible = {"article_id": OuterRef("article_id")}
    drug_link = ArticleDrug.objects.visible().filter(**visible, drug_id=OuterRef("drug_id"))
    condition_link = ArticleCondition.objects.visible().filter(**visible, condition_id=OuterRef("condition_id"))
    return DrugConditionReport.objects.filter(
        Exists(drug_link), Exists(condition_link), article__status=ArticleStatus.PUBLISHED
    )


def reported_for(drug, *, size=REPORTED_SIZE):
    """[(condition name, slug, stories)] a drug is reported for, most stories first (one query)."""
    rows = (
        public_reports()
        .filter(drug=drug)
        .values("condition__name", "condition__slug")
        .annotate(stories=Count("article_id", distinct=True))
        .order_by("-stories", "condition__name")[:size]
    )
    return [(row["condition__name"], row["condition__slug"], row["stories"]) for row in rows]
