"""Every public page reads a fixed number of queries, whatever the number of articles and links.

Each page is measured with a few articles, then again after many more articles with
more entities of their own, copies, trials and rejected links; both counts must be the
pinned number (a page that reads a query per article or per link fails here).
"""

import datetime
import itertools

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import ArticleTrial, LinkStatus, StudyType

from .factories import ArticleFactory, ConditionFactory, DrugFactory, InstitutionFactory, SourceFactory, link, publish

pytestmark = pytest.mark.django_db

START = datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)


@pytest.fixture
def corpus():
    """A condition (with a parent and a child), a drug and an institution; grow(n) adds n published
    articles about all three, each naming new entities of its own too; every fifth is a copy of the first."""
    world = type("Corpus", (), {})()
    world.parent = ConditionFactory(name="Parent", tree_numbers=["C10.100"])
    world.condition = ConditionFactory(name="Topic", tree_numbers=["C10.100.200", "C23.100"], aliases=["lay topic"])
    ConditionFactory(name="Child", tree_numbers=["C10.100.200.300"])
    world.drug = DrugFactory(name="Drugol", aliases=["Brandol"])
    world.institution = InstitutionFactory(name="Institute")
    sources = [SourceFactory() for _ in range(3)]
    numbers = itertools.count(400)
    world.articles = []

    def grow(n):
        for _ in range(n):
            i = len(world.articles)
            article = ArticleFactory(
                source=sources[i % 3],
                canonical=world.articles[0] if i % 5 == 2 else None,
                published=START - datetime.timedelta(days=11 * i),
                study_type=StudyType.CASE_SERIES,
                participants=3 + i,
            )
            ArticleTrial.objects.create(article=article, registry_id=f"NCT{10000000 + i}")
            for entity in (world.condition, world.drug, world.institution, world.parent):
                link(article, entity, status=LinkStatus.CONFIRMED)
            link(article, ConditionFactory(tree_numbers=[f"C10.100.200.{next(numbers)}"]))
            link(article, DrugFactory(), status=LinkStatus.SUGGESTED)
            link(article, InstitutionFactory())
            link(article, DrugFactory(), status=LinkStatus.REJECTED)
            publish(article)
            world.articles.append(article)

    world.grow = grow
    return world


def assert_queries(client, django_assert_num_queries, url, expected, name=None):
    caches["search"].clear()  # cold: the work itself (cached parts read fewer: tests/test_caching.py)
    with django_assert_num_queries(expected, info=name or url):
        response = client.get(url)
    assert response.status_code == 200, url
    return response


PAGES = [
    ("home", lambda w: "/", 6),
    ("article list", lambda w: "/articles/", 5),
    ("article list filtered", lambda w: f"/articles/?drug={w.drug.slug}&source={w.articles[0].source.slug}", 7),
    ("article", lambda w: w.articles[0].get_absolute_url(), 6),
    ("syndicated copy", lambda w: w.articles[2].get_absolute_url(), 6),
    ("condition list", lambda w: "/conditions/", 7),
    ("condition list, one letter", lambda w: "/conditions/?letter=T", 7),
    ("condition (with narrower)", lambda w: w.condition.get_absolute_url(), 13),
    ("condition only", lambda w: f"{w.condition.get_absolute_url()}?narrower=0", 13),
    ("condition filtered", lambda w: f"{w.condition.get_absolute_url()}?drug={w.drug.slug}&q=story", 16),
    ("condition page 2", lambda w: f"{w.parent.get_absolute_url()}?page=2", 13),
    ("drug", lambda w: w.drug.get_absolute_url(), 13),  # 9 + its drug classes + ingredients + conditions reported for
    ("institution", lambda w: w.institution.get_absolute_url(), 10),
    ("drug list", lambda w: "/drugs/", 4),
    ("institution list", lambda w: "/institutions/", 4),
    ("latest feed", lambda w: "/feed/", 5),
    ("latest atom", lambda w: "/feed/atom/", 5),
    # + its branch (ConditionTreeNumber.branches) and the newest ids from the branch's links' index
    ("condition feed (with narrower)", lambda w: f"{w.condition.get_absolute_url()}feed/", 8),
    ("condition feed only", lambda w: f"{w.condition.get_absolute_url()}feed/atom/?narrower=0", 7),
    ("drug feed", lambda w: f"{w.drug.get_absolute_url()}feed/", 7),
    ("institution feed", lambda w: f"{w.institution.get_absolute_url()}feed/atom/", 7),
    ("sitemap index", lambda w: "/sitemap.xml", 11),  # newest date and page count per section, drug classes too
    ("sitemap of articles", lambda w: "/sitemap-articles.xml", 3),
    ("sitemap of conditions", lambda w: "/sitemap-conditions.xml", 3),
    ("sitemap of pages", lambda w: "/sitemap-pages.xml", 1),
    ("robots.txt", lambda w: "/robots.txt", 1),
    ("healthz", lambda w: "/healthz", 0),  # its SELECT 1 runs in a probe thread (newsbase.views)
    # Every other page: + 1, the content stamp (newsbase.httpcache: its ETag, or a 304 at once).
]


def test_public_pages_read_a_fixed_number_of_queries(client, django_assert_num_queries, corpus):
    for size in (3, 24, 49):
        corpus.grow(size - len(corpus.articles))
        for name, url, expected in PAGES:
            if "page 2" not in name or size > 23:  # 20 a page, the last one takes up to 3 more
                assert_queries(client, django_assert_num_queries, url(corpus), expected, name)


def test_article_page_with_many_links_copies_and_trials_reads_the_same_queries(client, django_assert_num_queries):
    few, many = ArticleFactory(), ArticleFactory()
    shared = ConditionFactory()
    link(few, shared)  # so that each has a related article
    link(many, shared)
    for i in range(12):
        link(many, ConditionFactory(tree_numbers=[f"C04.{100 + i}"]), status=LinkStatus.CONFIRMED)
        link(many, DrugFactory(), status=LinkStatus.SUGGESTED if i % 2 else LinkStatus.CONFIRMED)
        link(many, InstitutionFactory(), status=LinkStatus.CONFIRMED)
        ArticleTrial.objects.create(article=many, registry_id=f"NCT{20000000 + i}")
    for article in (few, many):
        publish(article)
    for _ in range(6):
        copy = ArticleFactory(canonical=many)
        publish(copy)
    response = assert_queries(client, django_assert_num_queries, few.get_absolute_url(), 6)
    assert "Also published by" not in response.content.decode()
    response = assert_queries(client, django_assert_num_queries, many.get_absolute_url(), 6)
    html = response.content.decode()
    assert html.count('class="tag condition"') == 13 and html.count("machine-suggested</span>") == 7
    assert html.count(f'<li><a href="{copy.get_absolute_url()}">') == 1


def test_sitemap_index_reads_no_rows_per_article_or_entity(client, corpus):
    corpus.grow(6)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/sitemap.xml")
    assert response.status_code == 200
    # One MAX() for the newest date and one COUNT() for the pages, per section: nothing read row by row.
    for query in captured[1:]:  # the first: the content stamp (newsbase.httpcache)
        sql = query["sql"].upper()
        assert sql.startswith("SELECT MAX(") or sql.startswith("SELECT COUNT("), query["sql"]
