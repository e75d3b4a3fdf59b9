"""Autocomplete: entities best first within a few keystrokes, on both databases."""

import pytest
from django.urls import reverse

from articles.search.autocomplete import suggest

from .searchkit import build_world, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(load_vocabulary_subset):
    return build_world(load_vocabulary_subset)


def labels(text):
    return [s.label for s in suggest(text)]


def test_generic_name_within_three_letters(world):
    assert labels("rux")[0] == "Ruxolitinib"
    assert labels("Ruxo")[0] == "Ruxolitinib"


def test_brand_name_points_to_its_drug(world):
    first = suggest("jak")[0]
    assert first.label == "Jakafi → Ruxolitinib"
    assert first.alias == "Jakafi" and first.is_brand and first.kind == "drug" and first.article_count == 3
    assert labels("olum")[0] == "Olumiant → Baricitinib"


def test_lay_terms_and_institutions(world):
    assert labels("hair l")[0] == "hair loss → Alopecia"
    assert labels("heart att")[0] == "heart attack → Myocardial Infarction"
    assert "Columbia University" in labels("colum")


def test_one_suggestion_per_entity_and_popular_first(world):
    entities = [(s.kind, s.entity_id) for s in suggest("alopecia")]
    assert len(entities) == len(set(entities))
    assert labels("alopecia")[:2] == ["Alopecia", "Alopecia Areata"]
    for day in range(5):
        story(f"Deuruxolitinib {day}", "deuruxolitinib", links=[])
    semaglutide_first = suggest("sema")[0]
    assert semaglutide_first.label == "Semaglutide" and semaglutide_first.article_count == 1


def test_api_shape_and_bad_input(client, world):
    data = client.get(reverse("api:autocomplete"), {"q": "jak"}).json()
    assert data["query"] == "jak"
    first = data["results"][0]
    assert first == {
        "type": "drug",
        "name": "Ruxolitinib",
        "slug": "ruxolitinib",
        "url": "http://testserver/drugs/ruxolitinib/",
        "label": "Jakafi → Ruxolitinib",
        "search": "Jakafi",
        "matched_name_kind": "synonym",
        "is_brand": True,
        "article_count": 3,
        "article_count_capped": False,
    }
    for junk in ["", "   ", "%", "_", "' OR 1=1 --", "😀", "x" * 5000]:
        response = client.get(reverse("api:autocomplete"), {"q": junk})
        assert response.status_code == 200 and response.json()["results"] == []
    assert client.get(reverse("api:autocomplete"), {"q": "a\x00b"}).status_code == 400


def test_autocomplete_uses_two_queries(world, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert suggest("rux")
    with django_assert_num_queries(0):
        assert suggest("?!") == []


def test_exact_match_then_popularity_and_no_non_disease_descriptor(db):
    """Issue 14, item 11: an exact match first, then the most written-about; a MeSH descriptor
    outside the health branches (a research method, under E/F04) is never offered."""
    from .factories import ConditionFactory

    cyst = ConditionFactory(name="Testbreast Cyst", tree_numbers=["C17.800.100"])
    cancer = ConditionFactory(name="Testbreast Cancerous Growth", tree_numbers=["C04.588.180"])
    method = ConditionFactory(name="Testbreast Scale", tree_numbers=["F04.100.200"])
    own = ConditionFactory(name="Testbreast C", tree_numbers=[])  # an editor's condition, exact match
    for i in range(3):
        story(f"Cancer story {i}", "A story.", links=[(cancer, {})])
    story("Cyst story", "A story.", links=[(cyst, {})])
    story("Method story", "A story.", links=[(method, {})])
    names = [s.name for s in suggest("testbreast c")]
    assert names[0] == own.name  # exact match beats popularity
    assert names[1:] == [cancer.name, cyst.name]  # then the most written-about, though longer
    assert method.name not in [s.name for s in suggest("testbreast")]
