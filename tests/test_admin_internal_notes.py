"""Editors' internal notes stay internal: the API and the public pages show the description only."""

import pytest
from django.urls import reverse

from .admin_support import change_url
from .factories import ArticleFactory, ConditionFactory, DrugFactory, InstitutionFactory, link, publish

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]

SECRET = "INTERNAL: do not publish, the supplier asked us to wait"

# Exactly what each detail endpoint exposes; a new field must be added here on purpose.
EXPOSED = {
    "drug": {
        "name", "slug", "url", "drugbank_id", "medlineplus_id", "drug_class", "article_count", "description",
        "aliases", "brand_names", "ingredients", "contained_in", "classes",
    },
    "condition": {
        "name", "slug", "url", "mesh_id", "article_count", "description", "tree_numbers", "parents", "children",
        "aliases",
    },
    "institution": {
        "name", "slug", "url", "kind", "country", "ror_id", "homepage", "article_count", "description", "aliases",
    },
}  # fmt: skip


@pytest.fixture
def entities():
    drug = DrugFactory(name="Quellamab", notes=SECRET, description="A public description of the drug.")
    condition = ConditionFactory(name="Quell syndrome", description="A public description of the condition.")
    institution = InstitutionFactory(name="Quell Institute", description="A public description.")
    article = ArticleFactory()
    for entity in (drug, condition, institution):
        link(article, entity)
    publish(article)
    return {"drug": drug, "condition": condition, "institution": institution}


@pytest.mark.parametrize("kind", sorted(EXPOSED))
def test_each_entity_api_exposes_exactly_its_public_fields(client, entities, kind):
    entity = entities[kind]
    detail = client.get(reverse(f"api:{kind}-detail", args=[entity.slug])).json()
    assert set(detail) == EXPOSED[kind]
    assert detail["description"] == entity.description
    listed = client.get(reverse(f"api:{kind}-list")).json()["results"]
    assert listed and all(set(row) <= EXPOSED[kind] for row in listed)


def test_a_drugs_internal_notes_appear_nowhere_public(client, entities):
    drug = entities["drug"]
    for url in (
        reverse("api:drug-detail", args=[drug.slug]),
        reverse("api:drug-list"),
        reverse("articles:drug-detail", args=[drug.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "INTERNAL" not in response.content.decode(), url


def test_the_admin_says_which_text_is_public_and_which_internal(editor_client, entities):
    html = editor_client.get(change_url(entities["drug"])).content.decode()
    assert "Internal notes" in html and "never shown on the site or in the API" in html
    assert "Public description" in html and "shown on the site" in html
