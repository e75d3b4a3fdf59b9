"""The JSON API: shapes from DESIGN.md, filters, pagination caps, bad input, query counts, schema."""

import pytest
import yaml
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import ArticleTrial

from .searchkit import build_world, story

pytestmark = pytest.mark.django_db

ARTICLE_KEYS = {
    "slug",
    "title",
    "url",
    "source_url",
    "source",
    "source_slug",
    "published",
    "summary",
    "drugs",
    "conditions",
    "institutions",
}


@pytest.fixture
def world(load_vocabulary_subset):
    return build_world(load_vocabulary_subset)


def get(client, name, *args, **params):
    return client.get(reverse(f"api:{name}", args=args), params)


def test_article_list_shape_and_links(client, world):
    data = get(client, "article-list").json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 10  # published only
    jakafi = next(a for a in data["results"] if a["slug"] == world.jakafi_story.slug)
    assert set(jakafi) == ARTICLE_KEYS
    assert jakafi["url"] == "http://testserver" + world.jakafi_story.get_absolute_url()
    assert jakafi["source"] == "Clinical Wire" and jakafi["source_slug"] == "clinical-wire"
    rux = {"name": "Ruxolitinib", "slug": "ruxolitinib", "drugbank_id": "DB08877", "suggested": False}
    assert jakafi["drugs"] == [rux]
    assert jakafi["conditions"] == [
        {"name": "Alopecia Areata", "slug": "alopecia-areata", "mesh_id": world.areata.mesh_id, "suggested": False}
    ]
    assert jakafi["institutions"] == [{"name": "Columbia University", "slug": "columbia-university", "suggested": True}]
    rejected = next(a for a in data["results"] if a["slug"] == world.rejected_story.slug)
    assert rejected["drugs"] == []


def test_article_list_filters(client, world):
    def slugs(**params):
        return {a["slug"] for a in get(client, "article-list", **params).json()["results"]}

    assert slugs(drug="ruxolitinib") == {world.jakafi_story.slug, world.cream_story.slug, world.copy_story.slug}
    newest_first = [a["slug"] for a in get(client, "article-list", drug="ruxolitinib").json()["results"]]
    assert newest_first == [world.copy_story.slug, world.jakafi_story.slug, world.cream_story.slug]
    assert slugs(q="Jakafi") == slugs(drug="ruxolitinib")
    assert slugs(condition="myocardial-infarction", source="the-health-ledger") == {world.wegovy_story.slug}
    assert slugs(institution="columbia-university") == {world.jakafi_story.slug}
    day = world.heart_story.published.date().isoformat()
    assert slugs(published_after=day, published_before=day) == {world.heart_story.slug}
    ordered = [a["slug"] for a in get(client, "article-list", ordering="published").json()["results"]]
    assert ordered[0] == world.cream_story.slug


def test_page_size_is_capped_and_pages_link(client, world):
    for day in range(120):
        story(f"Obesity note {day}", "obesity", days_ago=day + 500, links=[(world.obesity, {})])
    data = get(client, "article-list", page_size=1000).json()
    assert len(data["results"]) == 100 and data["count"] == 130
    assert "page=2" in data["next"] and "page_size=1000" in data["next"]
    assert len(get(client, "article-list", page_size=5).json()["results"]) == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"drug": "no-such-drug"}, "drug"),
        ({"condition": "nope"}, "condition"),
        ({"source": "nope"}, "source"),
        ({"published_after": "not-a-date"}, "published_after"),
        ({"year": "12"}, "year"),
        ({"page": "abc"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "²"}, "page"),
        ({"q": "x" * 10_000}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_bad_parameters_are_400_with_the_field_named(client, world, params, field):
    for name in ("article-list", "search"):
        response = get(client, name, **params)
        assert response.status_code == 400, (name, params)
        assert field in response.json()
    assert get(client, "article-list", page="99").status_code == 404


def test_article_detail_shape(client, world):
    ArticleTrial.objects.create(article=world.jakafi_story, registry_id="NCT01234567")
    data = get(client, "article-detail", world.jakafi_story.slug).json()
    assert set(data) == ARTICLE_KEYS | {"body", "evidence", "canonical", "copies"}
    assert data["evidence"] == {
        "study_type": None,
        "participants": None,
        "journal": None,
        "trial_ids": ["NCT01234567"],
        "doi": None,
        "pmid": None,
    }
    assert data["canonical"] is None
    assert data["copies"] == [{"slug": world.copy_story.slug, "source": "Copy Desk"}]
    copy = get(client, "article-detail", world.copy_story.slug).json()
    assert copy["canonical"] == world.jakafi_story.slug and copy["copies"] == []
    assert get(client, "article-detail", world.draft_story.slug).status_code == 404


def test_entity_lists_and_details(client, world):
    drugs = get(client, "drug-list").json()
    rux = next(d for d in drugs["results"] if d["slug"] == "ruxolitinib")
    assert rux == {
        "name": "Ruxolitinib",
        "slug": "ruxolitinib",
        "url": "http://testserver/drugs/ruxolitinib/",
        "drugbank_id": "DB08877",
        "medlineplus_id": world.rux.medlineplus_id,
        "drug_class": world.rux.drug_class,
        "article_count": 3,
    }
    detail = get(client, "drug-detail", "ruxolitinib").json()
    assert {"Jakafi", "Jakavi", "Opzelura"} <= set(detail["brand_names"])
    assert {"text": "Jakafi", "kind": "synonym", "is_brand": True} in detail["aliases"]
    condition = get(client, "condition-detail", "alopecia-areata").json()
    assert condition["mesh_id"] == world.areata.mesh_id and condition["article_count"] == 3
    assert condition["tree_numbers"] == ["C17.800.329.937.122.147"]
    assert condition["parents"] == [{"name": "Alopecia", "slug": "alopecia", "mesh_id": world.alopecia.mesh_id}]
    parent = get(client, "condition-detail", "alopecia").json()
    assert {"name": "Alopecia Areata", "slug": "alopecia-areata", "mesh_id": world.areata.mesh_id} in parent["children"]
    assert "hair loss" in [a["text"] for a in parent["aliases"]]
    institutions = get(client, "institution-list").json()["results"]
    assert {i["slug"]: i["article_count"] for i in institutions}["columbia-university"] == 1
    assert get(client, "drug-detail", "no-such-drug").status_code == 404


def test_search_shape(client, world):
    data = get(client, "search", q="Jakafi").json()
    assert set(data) == {
        "query",
        "count",
        "count_capped",
        "next",
        "previous",
        "page",
        "num_pages",
        "results",
        "matched",
        "suggestion",
        "corrected",
        "notes",
        "facets",
        "facets_as_of",
    }
    assert data["query"] == "Jakafi" and data["count"] == 3 and data["suggestion"] is None
    first = data["results"][0]
    assert set(first) == ARTICLE_KEYS | {"snippet", "why", "score", "missing"}
    assert first["missing"] == []
    assert first["slug"] == world.jakafi_story.slug
    assert "<mark>Jakafi</mark>" in first["snippet"]
    assert "you searched Jakafi, a brand name of Ruxolitinib" in first["why"]
    (drug,) = data["matched"]["drugs"]
    assert drug["name"] == "Ruxolitinib" and drug["drugbank_id"] == "DB08877" and drug["is_brand"]
    assert drug["matched_name"] == "Jakafi" and drug["article_count"] == 3
    assert data["matched"]["conditions"] == [] and data["matched"]["institutions"] == []
    assert set(data["facets"]) == {"conditions", "drugs", "institutions", "sources", "years"}
    assert {"value": "alopecia-areata", "name": "Alopecia Areata", "count": 2, "selected": False} in data["facets"][
        "conditions"
    ]


def test_search_typo_condition_and_pages(client, world):
    data = get(client, "search", q="ruxolitnib").json()
    assert data["suggestion"] == "ruxolitinib" and data["corrected"] is True and data["count"] == 3
    data = get(client, "search", q="hair loss", page_size=1).json()
    (condition,) = data["matched"]["conditions"]
    assert (
        condition["name"] == "Alopecia"
        and {"name": "Alopecia Areata", "slug": "alopecia-areata"} in condition["narrower"]
    )
    assert data["num_pages"] == data["count"] and "page=2" in data["next"] and data["previous"] is None
    second = get(client, "search", q="hair loss", page_size=1, page=2).json()
    assert second["results"][0]["slug"] != data["results"][0]["slug"] and "page=1" in second["previous"]
    assert get(client, "search", q="hair loss", page=999).status_code == 404


@pytest.mark.parametrize("query", ["", "?!…", '" OR 1=1 --', "NEAR(", "*", "😀", "مرحبا 你好", "a" * 300])
def test_search_junk_is_an_empty_result(client, world, query):
    response = get(client, "search", q=query)
    assert response.status_code == 200
    assert response.json()["count"] == 0


def _queries(client, name, **params):
    client.get(reverse(f"api:{name}"), params)  # warm per-process caches
    caches["search"].clear()  # but not the cached answers: the work itself (tests/test_caching.py)
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse(f"api:{name}"), params)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_api_query_counts_do_not_grow_with_results(client, world):
    before = {
        "search": _queries(client, "search", q="semaglutide"),
        "article-list": _queries(client, "article-list", drug="semaglutide"),
        "drug-list": _queries(client, "drug-list"),
    }
    for day in range(30):
        links = [(world.sema, {}), (world.obesity, {}), (world.fda, {"text": "FDA"})]
        story(f"Semaglutide {day}", "semaglutide, FDA", days_ago=day + 40, links=links)
    after = {
        "search": _queries(client, "search", q="semaglutide"),
        "article-list": _queries(client, "article-list", drug="semaglutide"),
        "drug-list": _queries(client, "drug-list"),
    }
    assert before == after
    # + 1 each: the content stamp (newsbase.httpcache)
    # drug slug, count, the page's ids, its articles with their sources, their links (one query):
    # the same page loader as the HTML lists (articles.rows)
    assert after["article-list"] == 6
    assert after["drug-list"] == 3  # count, page with article counts


def test_schema_builds_and_lists_every_path(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["info"]["title"] == "NewsBase API"
    assert {
        "/api/articles/",
        "/api/articles/{slug}/",
        "/api/search/",
        "/api/autocomplete/",
        "/api/drugs/",
        "/api/drugs/{slug}/",
        "/api/conditions/",
        "/api/conditions/{slug}/",
        "/api/institutions/",
        "/api/institutions/{slug}/",
    } <= set(schema["paths"])
    search = schema["paths"]["/api/search/"]["get"]
    assert {"q", "drug", "condition", "page", "page_size"} <= {p["name"] for p in search["parameters"]}
    articles = schema["paths"]["/api/articles/"]["get"]
    assert {"q", "condition", "drug", "institution", "source", "published_after", "published_before", "ordering"} <= {
        p["name"] for p in articles["parameters"]
    }
    hit = schema["components"]["schemas"]["SearchHit"]["properties"]
    assert {"snippet", "why", "drugs", "conditions"} <= set(hit)


@pytest.mark.parametrize(
    ("kind", "attribute", "survivor_slug"),
    [("drug", "rux", "ruxolitinib"), ("condition", "areata", "alopecia-areata")],
)
def test_merged_away_entity_answers_301_with_the_survivor(client, world, kind, attribute, survivor_slug):
    from articles.models import EntityRedirect

    survivor = getattr(world, attribute)
    EntityRedirect.objects.create(entity_type=kind, old_slug="merged-away", target_id=survivor.pk)
    response = get(client, f"{kind}-detail", "merged-away", format="json")
    assert response.status_code == 301
    assert response["Location"] == reverse(f"api:{kind}-detail", args=[survivor_slug]) + "?format=json"
    assert get(client, f"{kind}-detail", "never-existed").status_code == 404


def test_search_results_say_what_they_lack(client, world):
    data = client.get("/api/search/", {"q": "jakafi heart attack"}).json()
    assert data["count"] > 0
    assert all(result["missing"] for result in data["results"])
    assert any(result["missing"] == ["heart attack"] for result in data["results"])
