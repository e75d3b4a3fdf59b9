"""Search ranking on real news: our judged reader queries (tests/data/search/queries.toml) over the
FakeHealth stories, read from ../shared at run time (skipped where absent).

The full vocabulary (drug classes too, as `load_vocabulary` loads it) is loaded and the 1,302
stories imported once for this module, inside a transaction rolled back at the end; the
evaluation runs once and each test reads its figures. The floors are the measured figures, so
search never falls back; the lead raises them toward the issue's bar (recall@10 >= 0.90 and
MRR >= 0.80 for every kind, no empty answer for a query with a relevant story) as search
improves.
"""

import pytest
from django.db import connection, transaction

from articles import search_eval
from articles.ingest.matcher import clear_matcher_cache
from articles.vocabulary import classes, loader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
    pytest.mark.skipif(not search_eval.DEFAULT_CORPUS.is_file(), reason="../shared/corpora/fakehealth is not here"),
]

# Per kind: the lower of the SQLite and PostgreSQL figures, rounded down (the README has the
# tables), as measured on main on 2026-12-06. The two databases rank ties and text matches
# differently, hence small differences between them.
FLOORS = {
    "generic": {"recall": 0.97, "mrr": 1.0, "ndcg": 0.96},
    "brand": {"recall": 1.0, "mrr": 1.0, "ndcg": 0.98},
    "lay": {"recall": 0.91, "mrr": 1.0, "ndcg": 0.89},
    "typo": {"recall": 0.96, "mrr": 0.96, "ndcg": 0.96},
    "drug_condition": {"recall": 0.92, "mrr": 0.93, "ndcg": 0.88},
    "filler": {"recall": 0.86, "mrr": 1.0, "ndcg": 0.86},
    "class": {"recall": 0.86, "mrr": 0.96, "ndcg": 0.86},
    "institution": {"recall": 0.88, "mrr": 0.95, "ndcg": 0.83},
}
# Queries with a relevant story that come back empty: 25 on SQLite, 23 on PostgreSQL in the blind
# run; none on either since typos are corrected towards the words stories use too.
MAX_EMPTY = 0


@pytest.fixture(scope="module")
def evaluation(django_db_setup, django_db_blocker, vocabulary_specs):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # As `load_vocabulary` does: the drugs, conditions and institutions, then the drug classes.
            report = loader.load(**vocabulary_specs)
            classes.load_classes(classes.read_classes(), report=report)
            connection.check_constraints()
            clear_matcher_cache()
            report = search_eval.import_corpus(search_eval.DEFAULT_CORPUS)
            assert report.counts["imported"] >= 1200, report.summary()
            yield search_eval.evaluate(search_eval.load_queries())
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            clear_matcher_cache()


def test_every_judged_story_but_the_rejected_pages_is_imported(evaluation):
    assert len(evaluation.results) >= 150
    assert len(evaluation.missing_urls) <= 2, evaluation.missing_urls


@pytest.mark.parametrize("kind", search_eval.KINDS)
def test_ranking_stays_above_its_floors(evaluation, kind):
    failures = search_eval.floors_met(evaluation, {kind: FLOORS[kind]})
    worst = [(r.query.q, round(r.ndcg, 3), r.first_rank) for r in evaluation.worst(50) if r.query.kind == kind]
    assert not failures, (failures, worst)


def test_empty_answers_do_not_grow(evaluation):
    empty = [(r.query.kind, r.query.q) for r in evaluation.empty()]
    assert len(empty) <= MAX_EMPTY, empty
