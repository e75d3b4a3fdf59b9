"""Caching: HTTP validators on anonymous public pages and feeds, and cached search answers that
expire on publish, merge and alias change (SQLite and PostgreSQL)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import services, stamp
from articles.models import ConditionAlias, DrugAlias
from articles.search.service import search

from .factories import ConditionFactory, DrugFactory
from .searchkit import NOW, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def drug():
    drug = DrugFactory(name="Cachetinib")
    story("Cachetinib works", "Cachetinib helped.", days_ago=3, links=[(drug, {})])
    return drug


# --------------------------------------------------------------------------- HTTP


@pytest.mark.parametrize("path", ["/", "/articles/", "drug", "drug-feed", "/feed/atom/"])
def test_anonymous_public_pages_carry_validators_and_answer_304(client, drug, path):
    url = {"drug": drug.get_absolute_url(), "drug-feed": drug.get_absolute_url() + "feed/"}.get(path, path)
    response = client.get(url)
    assert response.status_code == 200
    etag, modified = response["ETag"], response["Last-Modified"]
    assert response["Cache-Control"].startswith("public, max-age=")
    assert "Cookie" in response["Vary"] and "Accept" in response["Vary"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
    assert len(queries) == 1  # the content stamp; no view ran
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # Something readers see changes: the validators no longer hold.
    story("Cachetinib again", "Cachetinib helped again.", days_ago=1, links=[(drug, {})])
    fresh = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag


def test_validators_differ_by_url_and_accept(client, drug):
    one = client.get("/articles/")["ETag"]
    assert client.get("/articles/?page=1")["ETag"] != one
    assert client.get("/api/articles/", HTTP_ACCEPT="application/json")["ETag"] != client.get("/api/articles/")["ETag"]


def test_logged_in_and_admin_answers_are_never_publicly_cacheable(client, drug):
    user = get_user_model().objects.create_user("editor", password="a-long-test-password", is_staff=True)
    client.force_login(user)
    for url in ("/", drug.get_absolute_url(), "/admin/"):
        response = client.get(url, follow=True)
        assert "ETag" not in response and "public" not in response.get("Cache-Control", ""), url
        assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code != 304


def test_a_response_setting_a_cookie_or_an_error_gets_no_validators(client, drug):
    response = client.get("/conditions/no-such-condition/")
    assert response.status_code == 404 and "ETag" not in response
    response = client.get("/search/", {"q": "cachetinib", "published_before": "9999-12-31"})
    assert response.status_code == 400 and "ETag" not in response


# --------------------------------------------------------------------------- search cache


def _queries(call):
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return len(queries), result


def test_a_repeated_search_is_answered_from_the_cache(drug):
    """Below the kept pages: the search service's own cache (resolution, counts and facets)."""
    first, result = _queries(lambda: search("cachetinib", now=NOW))
    again, cached = _queries(lambda: search("cachetinib", now=NOW))
    assert cached.count == result.count == 1
    assert again < first  # resolution and counts come from the cache; only the page is read


def test_publishing_expires_cached_results(drug):
    assert search("cachetinib", now=NOW).count == 1
    token = stamp.current()[0]
    story("Cachetinib again", "Cachetinib helped again.", days_ago=1, links=[(drug, {})])
    assert stamp.current()[0] != token
    assert search("cachetinib", now=NOW).count == 2


def test_a_merge_expires_cached_resolutions(drug):
    other = DrugFactory(name="Cachetinib Old")
    story("Old name story", "Cachetinib old helped.", days_ago=2, links=[(other, {})])
    assert [c.entity.pk for c in search("cachetinib old", now=NOW).cards] == [other.pk]
    services.merge_entities(survivor=drug, others=[other])
    cards = search("cachetinib old", now=NOW).cards
    assert [c.entity.pk for c in cards] == [drug.pk]


def test_an_alias_change_expires_cached_resolutions(drug):
    condition = ConditionFactory(name="Zeta Fever")
    story("Fever story", "Zeta fever seen.", days_ago=2, links=[(condition, {})])
    story("Wobblepox story", "Wobblepox, as locals call it, is back.", days_ago=2)
    before = search("wobblepox", now=NOW)
    assert before.count == 1 and before.cards == []  # found as a word: nothing asks to resolve it again
    ConditionAlias.objects.create(condition=condition, text="wobblepox")
    assert [c.entity.pk for c in search("wobblepox", now=NOW).cards] == [condition.pk]
    DrugAlias.objects.create(drug=drug, text="Cachebrand", is_brand=True)
    assert [c.entity.pk for c in search("cachebrand", now=NOW).cards] == [drug.pk]


def test_a_warm_condition_page_is_the_kept_answer_until_something_changes(client):
    top = ConditionFactory(name="Warmitis", tree_numbers=["C17.950.100"])
    below = ConditionFactory(name="Warmitis Minor", tree_numbers=["C17.950.100.200"])
    story("Warm one", "Seen.", days_ago=3, links=[(top, {})])
    story("Warm two", "Seen.", days_ago=2, links=[(below, {})])
    cold, first = _queries(lambda: client.get(top.get_absolute_url()))
    warm, second = _queries(lambda: client.get(top.get_absolute_url()))
    assert warm == 1 < cold  # the whole answer is kept under its ETag: only the stamp is read
    assert first.content == second.content
    story("Warm three", "Seen.", days_ago=1, links=[(below, {})])
    assert b"Warm three" in client.get(top.get_absolute_url()).content


def test_kept_answers_differ_by_host(client, settings, drug):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    url = drug.get_absolute_url() + "feed/"
    here = client.get(url).content
    assert b"http://testserver/" in here
    there = client.get(url, HTTP_HOST="other.example").content
    assert b"http://other.example/" in there and b"http://testserver/" not in there
    assert client.get(url, HTTP_HOST="evil.example").status_code == 400  # a disallowed host: never kept
