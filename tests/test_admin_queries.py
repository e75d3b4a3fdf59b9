"""The admin's pages read a fixed number of queries however many rows they show."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import services
from articles.models import Article, ArticleCondition, ArticleDrug, Condition, Drug, LinkStatus

from .admin_support import change_url, changelist_url
from .factories import ArticleFactory, ConditionFactory, DrugFactory, SourceFactory, link

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]


def queries(client, url, params=None):
    """(number of queries, response) of one GET."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(captured), response


@pytest.fixture
def corpus():
    """add(n): n more articles (three sources, half published), n more drugs and conditions, linked."""
    sources = [SourceFactory() for _ in range(3)]
    ConditionFactory(name="Nervous System Diseases", tree_numbers=["C10"])
    numbers = itertools.count(100)
    originals = []

    def add(n):
        drugs = [DrugFactory(aliases=["brand"]) for _ in range(n)]
        conditions = [ConditionFactory(tree_numbers=[f"C10.{next(numbers)}"]) for _ in range(n)]
        for i in range(n):
            canonical = originals[0] if originals and i % 5 == 0 else None
            article = ArticleFactory(source=sources[i % 3], canonical=canonical)
            if i % 2:
                services.publish(article=article)
            link(article, drugs[i], matched_text="Story", first_offset=0, confidence=(i % 10) / 10)
            link(article, conditions[i], status=LinkStatus.CONFIRMED if i % 3 else LinkStatus.SUGGESTED)
            originals.append(article)

    return add


PAGES = [
    ("article changelist", lambda: changelist_url(Article), {}, 7),
    ("articles to review", lambda: changelist_url(Article), {"links": "to_review", "status__exact": "draft"}, 7),
    # The review queues count what is pending in each of the four link tables (drug classes too).
    ("drug review queue", lambda: changelist_url(ArticleDrug), {}, 12),
    ("condition review queue, all", lambda: changelist_url(ArticleCondition), {"review": "all", "o": "3"}, 12),
    ("drug changelist", lambda: changelist_url(Drug), {}, 6),
    ("drug search", lambda: changelist_url(Drug), {"q": "brand"}, 6),
    ("conditions in a MeSH branch", lambda: changelist_url(Condition), {"branch": "C10", "articles": "yes"}, 7),
]


@pytest.mark.parametrize(("name", "url", "params", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_changelists_read_a_fixed_number_of_queries(editor_client, corpus, name, url, params, expected):
    corpus(4)
    few, _ = queries(editor_client, url(), params)
    corpus(30)
    many, response = queries(editor_client, url(), params)
    assert len(response.context["cl"].result_list) > 4
    assert (few, many) == (expected, expected)


def test_article_page_with_many_links_reads_a_fixed_number_of_queries(editor_client):
    small, large = ArticleFactory(), ArticleFactory()
    for article, n in ((small, 2), (large, 25)):
        for _ in range(n):
            link(article, DrugFactory(), matched_text="Story", first_offset=0)
            link(article, ConditionFactory())
    few, _ = queries(editor_client, change_url(small))
    many, response = queries(editor_client, change_url(large))
    assert "25 links" not in response.content.decode()
    assert few == many == 12  # one per link table's inline, drug classes included


def test_autocomplete_and_merge_preview(reviewer_client, corpus):
    corpus(6)
    n, response = queries(
        reviewer_client,
        reverse("admin:autocomplete"),
        {"term": "brand", "app_label": "articles", "model_name": "articledrug", "field_name": "drug"},
    )
    assert len(response.json()["results"]) == 6
    assert n == 6
    ids = list(Condition.objects.values_list("pk", flat=True))
    merge = reverse("admin:articles_condition_merge")
    two, _ = queries(reviewer_client, merge, {"ids": ids[:2]})
    n, response = queries(reviewer_client, merge, {"ids": ids})
    assert len(response.context["plan"].links_moved) >= 5
    assert two == n == 13  # 12 + the tree numbers that tell an ancestor or descendant apart
