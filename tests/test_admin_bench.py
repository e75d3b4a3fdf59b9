"""`manage.py bench --admin` times the editors' pages over a synthetic corpus (numbers, never asserted)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from articles.bench import admin as admin_bench
from articles.bench import corpus
from articles.models import Article

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "admin index (workbench)",
    "article list",
    "article page (most links)",
    "drug review queue",
    "drug search, brand name",
    "conditions in MeSH C04",
    "merge preview, top 2 conditions",
]


@pytest.fixture
def vocabulary(load_vocabulary_subset):
    # The corpus draws up to four distinct entities of a kind per article: offer more.
    load_vocabulary_subset(
        drugs=["Ruxolitinib", "Baricitinib", "Semaglutide", "Tirzepatide", "Metformin", "Sildenafil"],
        conditions=["Alopecia", "Alopecia Areata", "Obesity", "Myocardial Infarction", "Alzheimer Disease"],
        institutions=["Columbia University", "U.S. Food and Drug Administration", "Pfizer"],
    )


def test_admin_bench_times_every_page_and_cleans_up(vocabulary):
    out = io.StringIO()
    call_command("bench", admin=True, articles=60, repeat=2, stdout=out)
    text = out.getvalue()
    assert "Admin benchmark" in text and "60 synthetic articles" in text
    lines = {line[:34].strip(): line.split() for line in text.splitlines()}
    for name in ADMIN_PAGES:
        assert name in lines, name
        assert int(lines[name][-1]) <= 12  # queries per page: fixed and few
    assert not Article.objects.filter(slug__startswith=corpus.SLUG_PREFIX).exists()
    assert not get_user_model().objects.filter(username=admin_bench.USERNAME).exists()


def test_admin_bench_refuses_a_bad_repeat(vocabulary):
    with pytest.raises(CommandError, match="--repeat must be at least 1"):
        call_command("bench", admin=True, articles=10, repeat=-1, stdout=io.StringIO())
