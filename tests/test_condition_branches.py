"""A condition's page, its feed and a search for it agree: narrower conditions included by
default, "only" on request, the same articles counted the same way (SQLite and PostgreSQL)."""

import re

import pytest

from articles.browse import BranchArticleIds
from articles.models import ConditionTreeNumber
from articles.search.service import search

from .factories import ConditionFactory
from .searchkit import NOW, story
from .sitekit import feed, get, listed, paths

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    """Scalpitis with a narrower condition, and one more below that narrower one's second place."""
    top = ConditionFactory(name="Scalpitis", tree_numbers=["C17.900.100"])
    mid = ConditionFactory(name="Patchy Scalp Trouble", tree_numbers=["C17.900.100.200", "C23.900.300"])
    deep = ConditionFactory(name="Deep Scalp Trouble", tree_numbers=["C23.900.300.400"])  # below mid's 2nd place
    other = ConditionFactory(name="Unrelated Ache", tree_numbers=["C17.900.500"])
    stories = [
        story("A first report", "Clinicians described it.", days_ago=9, links=[(top, {})]),
        story("A second report", "Clinicians described it.", days_ago=7, links=[(mid, {}), (top, {})]),
        story("A third report", "Clinicians described it.", days_ago=5, links=[(deep, {})]),
        story("A fourth report", "Clinicians described it.", days_ago=3, links=[(mid, {})]),
    ]
    story("An unrelated report", "Clinicians described it.", days_ago=2, links=[(other, {})])
    story("A rejected link", "Clinicians described it.", days_ago=1, links=[(mid, {"status": "rejected"})])
    return top, mid, deep, stories


def count_of(html):
    return int(re.search(r'id="entity-articles-h">[^<]*<span class="count">([\d,]+)</span>', html)[1])


def test_branch_is_closed_over_every_place_of_a_narrower_condition(branch):
    top, mid, deep, _ = branch
    below = ConditionTreeNumber.branches([top.pk, mid.pk, deep.pk])
    assert [pk for pk, _, _ in below[top.pk]] == [mid.pk, deep.pk]
    assert [pk for pk, _, _ in below[mid.pk]] == [deep.pk]
    assert below[deep.pk] == []


def test_page_feed_and_search_count_the_same_articles(client, branch):
    top, _, _, stories = branch
    response, html = get(client, top.get_absolute_url())
    assert response.status_code == 200
    newest_first = paths(reversed(stories))
    assert listed(html) == newest_first
    assert "Articles about Scalpitis and narrower conditions" in html
    _, items = feed(client.get(top.get_absolute_url() + "feed/"))
    assert [path.removeprefix("http://testserver") for _, path in items] == newest_first
    result = search("Scalpitis", now=NOW)
    assert count_of(html) == result.count == len(items) == 4
    assert [card.entity.pk for card in result.cards] == [top.pk]
    assert "narrower condition" in html and "?narrower=0" in html  # says so, and offers "only"


def test_only_the_condition_on_request(client, branch):
    top, _, _, stories = branch
    _, html = get(client, top.get_absolute_url(), narrower=0)
    assert listed(html) == paths([stories[1], stories[0]])
    assert count_of(html) == 2
    _, items = feed(client.get(top.get_absolute_url() + "feed/", {"narrower": "0"}))
    assert len(items) == 2


def test_branch_ids_page_newest_first_and_count_each_article_once(branch):
    top, mid, deep, stories = branch
    ids = BranchArticleIds([top.pk, mid.pk, deep.pk])
    assert ids.count() == len(ids) == 4
    assert ids[0:2] == [stories[3].pk, stories[2].pk]
    assert ids[2:10] == [stories[1].pk, stories[0].pk]
    assert ids[4:8] == []
