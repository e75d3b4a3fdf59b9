"""Precomputed facet counts for the largest result sets (FacetSnapshot).

Counting facets reads the links of every article in a result; for an entity named
in thousands of articles that is most of a search's time (see DESIGN.md's measured
limits). ``refresh_snapshots`` counts them ahead for every entity — and every
condition together with its narrower conditions — that has more than
``min_articles`` public articles, with the very statement search runs live, and
stores the counts. Search uses a snapshot only for that exact result set (the
entity alone, no other words or filters) and only while the live total is within
2% (or 10 articles) of the snapshot's; otherwise it counts live, so a snapshot can
lag a little but never mislead. Run ``manage.py refresh_search_facets`` from cron
(and after large imports); the bench runs it after building its corpus.
"""

import bisect
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from ..kinds import CONDITION, KINDS
from ..models import ConditionTreeNumber, FacetSnapshot
from . import retrieval
from .service import snapshot_facets

MIN_ARTICLES = 500


@dataclass
class RefreshReport:
    snapshots: int = 0
    removed: int = 0
    seconds: float = 0.0


def _entity_counts(kind):
    """{entity id: public article count} for one kind (one grouped scan of its link table)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {kind.column}, COUNT(*) FROM {kind.link_table} "  # noqa: S608 - constant table names
            f"WHERE {retrieval.PUBLIC_LINK} GROUP BY {kind.column}"
        )
        return dict(cursor.fetchall())


def _narrower_candidates(condition_counts, min_articles):
    """Conditions whose articles, with their narrower conditions', may exceed min_articles.

    The sum of the counts below a condition is an upper bound of its distinct total
    (an article may mention two of them); the exact total is counted for these only.
    """
    numbers = sorted(ConditionTreeNumber.objects.values_list("number", "condition_id"))
    keys = [number for number, _ in numbers]
    candidates = set()
    for number, condition_id in numbers:
        start = bisect.bisect_left(keys, number + ".")
        end = bisect.bisect_left(keys, number + "/")
        below = {numbers[i][1] for i in range(start, end)} - {condition_id}
        below_total = sum(condition_counts.get(pk, 0) for pk in below)
        if below_total and condition_counts.get(condition_id, 0) + below_total > min_articles:
            candidates.add(condition_id)
    return candidates


def refresh_snapshots(*, min_articles=MIN_ARTICLES, write=None):
    """Recount the facets of every large result set; drop snapshots no longer needed."""
    write = write or (lambda message: None)
    started = time.monotonic()
    report = RefreshReport()
    keys = []
    counts_by_kind = {}
    for kind in KINDS:
        counts_by_kind[kind.name] = _entity_counts(kind)
        keys.extend((kind.name, pk, False) for pk, n in counts_by_kind[kind.name].items() if n > min_articles)
    narrower_ids = _narrower_candidates(counts_by_kind[CONDITION.name], min_articles)
    narrower = retrieval.narrower_conditions(narrower_ids)
    keys.extend((CONDITION.name, pk, True) for pk in sorted(narrower_ids))
    write(f"Counting facets for {len(keys):,} large result sets (over {min_articles:,} articles)…")
    kept = set()
    for number, (kind, entity_id, with_narrower) in enumerate(keys, 1):
        ids = [entity_id]
        if with_narrower:
            ids += [child for child, _, _ in narrower.get(entity_id, [])]
        plan = retrieval.Plan(groups=[[retrieval.Branch(kind, ids, {entity_id})]], uncapped=True)
        counts = retrieval.counts(plan)
        if counts.total <= min_articles:
            continue
        with transaction.atomic():
            FacetSnapshot.objects.update_or_create(
                kind=kind,
                entity_id=entity_id,
                narrower=with_narrower,
                defaults={"total": counts.total, "facets": snapshot_facets(counts), "built_at": timezone.now()},
            )
        kept.add((kind, entity_id, with_narrower))
        report.snapshots += 1
        if number % 100 == 0:
            write(f"  {number:,}/{len(keys):,}")
    existing = FacetSnapshot.objects.values_list("pk", "kind", "entity_id", "narrower")
    stale = [pk for pk, kind, entity_id, with_narrower in existing if (kind, entity_id, with_narrower) not in kept]
    report.removed = FacetSnapshot.objects.filter(pk__in=stale).delete()[0]
    report.seconds = time.monotonic() - started
    return report
