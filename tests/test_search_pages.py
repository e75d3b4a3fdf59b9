"""The /search/ page and the shared FilterSet on /articles/: what a reader sees, and bad input."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import AliasKind, Article, DrugClass, DrugClassAlias, DrugClassMember

from .searchkit import build_world, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(load_vocabulary_subset):
    return build_world(load_vocabulary_subset)


def page(client, **params):
    response = client.get(reverse("articles:search"), params)
    return response, response.content.decode()


def test_search_page_shows_card_results_snippet_why_and_facets(client, world):
    response, html = page(client, q="Jakafi")
    assert response.status_code == 200
    assert "3 articles for “Jakafi”" in html
    assert world.rux.get_absolute_url() in html and "DB08877" in html  # the entity card
    assert "Brand names:</strong> Jakafi, Jakavi, Opzelura" in html
    assert "you searched Jakafi, a brand name of Ruxolitinib" in html
    assert "<mark>Jakafi</mark>" in html
    assert '<h2 id="facets-h">' in html and 'Alopecia Areata</a> <span class="count">2</span>' in html


def test_a_class_query_shows_the_class_card_with_its_members_and_narrower_classes(client, world):
    pills = DrugClass.objects.create(name="Kinase blockers", slug="kinase-blockers")
    scalp = DrugClass.objects.create(name="Scalp kinase blockers", slug="scalp-kinase-blockers", parent=pills)
    DrugClassAlias.objects.create(drug_class=pills, text="kinase blocker drugs", kind=AliasKind.LAY)
    DrugClassMember.objects.create(drug_class=pills, drug=world.rux)
    DrugClassMember.objects.create(drug_class=scalp, drug=world.bari)
    _, html = page(client, q="kinase blocker drugs")
    card = re.search(r'<article class="card drug_class".*?</article>', html, re.S).group(0)
    assert '<p class="kicker">Drug class</p>' in card and pills.get_absolute_url() in card
    assert "the stories naming its narrower class (Scalp kinase blockers)" in card
    assert f'its 2 member drugs: <a href="{world.bari.get_absolute_url()}">Baricitinib</a>' in card
    data = client.get(reverse("api:search"), {"q": "kinase blocker drugs"}).json()
    (matched,) = data["matched"]["drug_classes"]
    assert matched["name"] == "Kinase blockers" and matched["type"] == "drug_class"
    assert [m["slug"] for m in matched["members"]] == ["baricitinib", "ruxolitinib"]
    assert matched["narrower_classes"] == [{"name": "Scalp kinase blockers", "slug": "scalp-kinase-blockers"}]
    assert data["matched"]["drugs"] == []


def test_facet_links_narrow_and_can_be_removed(client, world):
    _, html = page(client, q="alopecia areata")
    link = re.search(r'href="(\?[^"]*drug=baricitinib[^"]*)"', html).group(1).replace("&amp;", "&")
    response = client.get(reverse("articles:search") + link)
    narrowed = response.content.decode()
    assert "1 article for “alopecia areata”" in narrowed
    assert world.olumiant_story.get_absolute_url() in narrowed
    assert world.jakafi_story.get_absolute_url() not in narrowed
    assert "Drug: <strong>Baricitinib</strong>" in narrowed
    remove = re.search(r'href="(\?[^"]*)" aria-label="Remove filter Drug', narrowed).group(1).replace("&amp;", "&")
    assert "drug=" not in remove and "q=alopecia+areata" in remove


def test_did_you_mean_and_correction_are_shown(client, world):
    _, html = page(client, q="ruxolitnib")
    assert "Showing results for" in html and "<strong>ruxolitinib</strong>" in html
    _, html = page(client, q="Mounjaro")
    assert "Tirzepatide" not in html  # not in this world's vocabulary
    assert "No articles match" in html


def test_entity_without_articles_says_so(client, world, load_vocabulary_subset):
    load_vocabulary_subset(drugs=["Tirzepatide"])
    _, html = page(client, q="Tirzepatide")
    assert "Tirzepatide — no articles yet" in html


def test_hostile_query_is_shown_as_text(client, world):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response, html = page(client, q=hostile)
    assert response.status_code == 200
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 10_000}, "Keep the search under 300 characters"),
        ({"q": "rux\x00olitinib"}, "Null characters are not allowed"),
        ({"q": "ruxolitinib", "page": "abc"}, "a page number is a whole number"),
        ({"q": "ruxolitinib", "page": "-1"}, "a page number is a whole number"),
        ({"q": "ruxolitinib", "drug": "no-such-drug"}, "There is no drug with the slug “no-such-drug”"),
        ({"q": "ruxolitinib", "year": "99999"}, "Year:"),
        ({"q": "ruxolitinib", "published_after": "yesterday"}, "Published on or after"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, world, params, message):
    response, html = page(client, **params)
    assert response.status_code == 400
    assert message in html.replace("&#x27;", "'").replace("&ldquo;", "“")


@pytest.mark.parametrize("query", ["?!…", '" OR 1=1 --', "NEAR(", "*", "😀", "ибупрофен", "a" * 300])
def test_junk_queries_are_an_empty_result(client, world, query):
    response, html = page(client, q=query)
    assert response.status_code == 200
    assert "0 articles" in html or "Type the name of a drug" in html


def test_search_page_has_one_h1_before_the_results(client, world):
    _, html = page(client, q="Jakafi")
    assert html.count("<h1") == 1
    assert html.index("<h1") < html.index('id="results-h"')


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "?!…"}])
def test_empty_query_shows_the_search_page_not_zero_articles(client, world, params, django_assert_num_queries):
    # One query: the content stamp behind the page's HTTP validators (newsbase.httpcache); no search.
    with django_assert_num_queries(1):
        response, html = page(client, **params)
    assert response.status_code == 200
    assert "<h1" in html and "Type the name of a drug" in html
    assert "0 articles" not in html and 'id="results-h"' not in html
    # A filter alone still lists what it selects.
    _, html = page(client, q="", drug=world.rux.slug)
    assert 'id="results-h"' in html and "0 articles" not in html


@pytest.mark.parametrize("typed", ["Alzheimer's", "alzheimer’s"])
def test_you_searched_keeps_the_readers_own_text(client, world, typed):
    _, html = page(client, q=typed)
    assert f"you searched {typed}, " in html.replace("&#x27;", "'")


def test_page_past_the_end_is_404_and_pages_link_with_filters(client, world):
    for day in range(25):
        story(f"Semaglutide {day}", "semaglutide", days_ago=day + 40, links=[(world.sema, {})])
    _, html = page(client, q="semaglutide", source="the-health-ledger")
    assert "Page 1 of 2" in html
    assert "?q=semaglutide&amp;source=the-health-ledger&amp;page=2" in html
    response, html = page(client, q="semaglutide", source="the-health-ledger", page="2")
    assert response.status_code == 200 and "Page 2 of 2" in html
    assert page(client, q="semaglutide", page="3")[0].status_code == 404


def test_search_page_query_count_is_fixed(client, world):
    def count():
        client.get(reverse("articles:search"), {"q": "semaglutide"})
        with CaptureQueriesContext(connection) as context:
            client.get(reverse("articles:search"), {"q": "semaglutide"})
        return len(context.captured_queries)

    few = count()
    for day in range(30):
        story(f"Semaglutide {day}", "semaglutide", days_ago=day + 40, links=[(world.sema, {}), (world.obesity, {})])
    assert count() == few


def test_header_and_home_search_boxes_point_to_search_with_suggestions(client, world):
    html = client.get(reverse("articles:home")).content.decode()
    assert f'action="{reverse("articles:search")}"' in html
    assert f'data-autocomplete="{reverse("api:autocomplete")}"' in html
    assert "js/autocomplete.js" in html
    article_page = client.get(world.jakafi_story.get_absolute_url()).content.decode()
    assert f'action="{reverse("articles:search")}"' in article_page


# --------------------------------------------------------------------------- /articles/ with the FilterSet


def test_article_list_filters_and_searches_like_search(client, world):
    html = client.get(reverse("articles:article-list"), {"q": "Jakafi"}).content.decode()
    assert world.jakafi_story.title in html and world.cream_story.title in html
    assert world.heart_story.title not in html
    html = client.get(reverse("articles:article-list"), {"condition": "myocardial-infarction"}).content.decode()
    assert world.heart_story.title in html and world.wegovy_story.title in html and "Condition" in html
    response = client.get(reverse("articles:article-list"), {"drug": "nope"})
    assert response.status_code == 400 and "There is no drug with the slug" in response.content.decode()


def test_article_list_only_published(client, world):
    html = client.get(reverse("articles:article-list"), {"q": "ruxolitinib"}).content.decode()
    assert world.draft_story.title not in html and world.rejected_story.title not in html
    assert Article.objects.published().count() > 0
