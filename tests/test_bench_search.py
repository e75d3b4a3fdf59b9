"""`manage.py bench` builds a synthetic corpus and prints search latencies (numbers, never asserted)."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.bench import corpus
from articles.models import Article, ArticleDrug, FacetSnapshot

pytestmark = pytest.mark.django_db

OPERATIONS = [
    "drug search + facets",
    "brand search",
    "typo search",
    "condition browse",
    "article page",
    "autocomplete",
    "top-20 drugs, facets live",
]


@pytest.fixture
def vocabulary(load_vocabulary_subset):
    load_vocabulary_subset(
        drugs=["Ruxolitinib", "Baricitinib", "Semaglutide", "Tirzepatide", "Metformin", "Sildenafil"],
        conditions=["Alopecia", "Alopecia Areata", "Obesity", "Myocardial Infarction", "Alzheimer Disease"],
        institutions=["Columbia University", "U.S. Food and Drug Administration", "Pfizer"],
    )


def run_bench(**options):
    out = io.StringIO()
    call_command("bench", stdout=out, **options)
    return out.getvalue()


def test_corpus_has_zipf_like_links_dates_and_index_rows(vocabulary):
    corpus.generate(articles=400, seed=3, write=lambda message: None)
    synthetic = Article.objects.filter(slug__startswith=corpus.SLUG_PREFIX)
    assert synthetic.count() == 400
    assert synthetic.filter(status="published").count() > 350
    assert synthetic.filter(canonical__isnull=False).exists()
    counts = sorted(
        (
            ArticleDrug.objects.filter(article__in=synthetic, drug=d).count()
            for d in set(ArticleDrug.objects.values_list("drug", flat=True))
        ),
        reverse=True,
    )
    assert counts[0] > counts[-1]  # six drugs here: a gentle slope; over the full pool a long tail
    weights = corpus.zipf_weights(5000, 1.05, 10)
    first, last = weights[0], weights[-1] - weights[-2]
    assert first / last > 300
    link = ArticleDrug.objects.filter(article__in=synthetic, first_offset__isnull=False).first()
    assert link.article.body[link.first_offset :].lower().startswith(link.matched_text.lower())
    assert ArticleDrug.objects.filter(article__status="draft", published__isnull=False).count() == 0
    assert corpus.describe() == (400, 3)
    corpus.drop(write=lambda message: None)
    assert not Article.objects.filter(slug__startswith=corpus.SLUG_PREFIX).exists() and corpus.describe() is None


def test_bench_prints_percentiles_for_every_operation_and_cleans_up(vocabulary):
    with CaptureQueriesContext(connection) as captured:
        output = run_bench(articles=300, repeat=4)
    if connection.vendor == "postgresql":  # timed as the site runs them: no parallel workers
        sets = [q["sql"] for q in captured if "max_parallel_workers_per_gather" in q["sql"]]
        assert sets == ["SET max_parallel_workers_per_gather = 0", "RESET max_parallel_workers_per_gather"]
    for name in OPERATIONS:
        line = next(line for line in output.splitlines() if line.startswith(name))
        numbers = re.findall(r"\d+\.\d+", line)
        assert len(numbers) >= 6, line  # app p50/p95/p99, bare p50/p95/p99
    assert "app/bare" in output and "300 synthetic articles" in output
    assert not Article.objects.filter(slug__startswith=corpus.SLUG_PREFIX).exists()
    assert not FacetSnapshot.objects.exists()


def test_bench_keeps_and_reuses_a_corpus(vocabulary):
    run_bench(articles=200, repeat=2, keep=True)
    assert Article.objects.filter(slug__startswith=corpus.SLUG_PREFIX).count() == 200
    assert "Reusing the synthetic corpus of 200 articles" in run_bench(articles=200, repeat=2, keep=True)


def test_bench_needs_a_vocabulary_and_sane_options(db):
    with pytest.raises(CommandError, match="load_vocabulary"):
        run_bench(articles=10, repeat=1)


def test_a_pool_smaller_than_the_number_asked_for_gives_all_it_has():
    import random

    pool = corpus.Pool(ids=[7, 8], names=[[("a", 1.0)], [("b", 1.0)]], cum_weights=corpus.zipf_weights(2, 1.0, 3))
    assert sorted(pool.pick(random.Random(1), 3)) == [0, 1]  # used to loop for ever
    assert len(pool.pick(random.Random(1), 1)) == 1
