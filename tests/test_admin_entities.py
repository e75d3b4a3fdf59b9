"""Entity changelists: search by any alias, article counts, filters, autocomplete, renames."""

import pytest

from articles import services
from articles.models import Condition, Drug, EntityRedirect, Institution, LinkStatus

from .admin_support import change_url, changelist_url
from .factories import ArticleFactory, ConditionFactory, DrugFactory, InstitutionFactory, link

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]


def names(response):
    return [entity.name for entity in response.context["cl"].result_list]


@pytest.fixture
def drugs():
    rux = DrugFactory(name="Ruxolitinib", aliases=["Jakafi", "Jakavi", "INCB018424"])
    DrugFactory(name="Jakafinib", aliases=["Made-up name"])
    DrugFactory(name="Aspirin", aliases=["acetylsalicylic acid", "ASA"])
    return rux


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("JAKAFI", ["Ruxolitinib", "Jakafinib"]),  # exact alias first, then a name starting so
        ("jakavi®", ["Ruxolitinib"]),  # normalised like the aliases
        ("acetylsalicylic", ["Aspirin"]),
        ("Ruxo", ["Ruxolitinib"]),
        ("DB99999", []),
        ("nothing like it", []),
    ],
)
def test_drugs_are_found_by_any_alias_once_each(editor_client, drugs, term, expected):
    response = editor_client.get(changelist_url(Drug), {"q": term})
    assert names(response) == expected


def test_search_by_identifier(editor_client, drugs):
    response = editor_client.get(changelist_url(Drug), {"q": drugs.drugbank_id.lower()})
    assert names(response) == ["Ruxolitinib"]
    condition = ConditionFactory(name="Alopecia Areata", mesh_id="D000506")
    response = editor_client.get(changelist_url(Condition), {"q": "d000506"})
    assert names(response) == [condition.name]


def test_autocomplete_ranks_the_best_match_first(editor_client, drugs):
    response = editor_client.get(
        "/admin/autocomplete/",
        {"term": "jakafi", "app_label": "articles", "model_name": "articledrug", "field_name": "drug"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Ruxolitinib", "Jakafinib"]


def test_counts_of_public_articles_and_links_to_review(editor_client):
    busy, quiet = ConditionFactory(name="Busy"), ConditionFactory(name="Quiet")
    for status in (LinkStatus.CONFIRMED, LinkStatus.SUGGESTED, LinkStatus.REJECTED):
        link(services.publish(article=ArticleFactory()), busy, status=status)
    link(ArticleFactory(), busy, status=LinkStatus.SUGGESTED)  # a draft: not public
    response = editor_client.get(changelist_url(Condition))
    counts = {c.name: (c.article_count, c.to_review) for c in response.context["cl"].result_list}
    assert counts == {"Busy": (2, 2), "Quiet": (0, 0)}
    # Sorting by the count works (it is an annotation, not a method per row): column 2.
    assert names(editor_client.get(changelist_url(Condition), {"o": "-2"})) == ["Busy", "Quiet"]
    assert names(editor_client.get(changelist_url(Condition), {"o": "2"})) == ["Quiet", "Busy"]
    assert quiet.name == "Quiet"


def test_has_articles_filter(editor_client):
    public, private = ConditionFactory(name="Public"), ConditionFactory(name="Private")
    link(services.publish(article=ArticleFactory()), public)
    link(ArticleFactory(), private)
    assert names(editor_client.get(changelist_url(Condition), {"articles": "yes"})) == ["Public"]
    assert names(editor_client.get(changelist_url(Condition), {"articles": "no"})) == ["Private"]
    assert names(editor_client.get(changelist_url(Condition), {"articles": "to_review"})) == ["Private", "Public"]


def test_mesh_branch_filter_by_top_tree_number(editor_client):
    ConditionFactory(name="Skin and Connective Tissue Diseases", tree_numbers=["C17"])
    ConditionFactory(name="Alopecia Areata", tree_numbers=["C17.800.329.937.122"])
    ConditionFactory(name="Neoplasms", tree_numbers=["C04"])
    ConditionFactory(name="Melanoma", tree_numbers=["C04.557.465.625", "C17.800.508"])
    ConditionFactory(name="C170 lookalike", tree_numbers=["C170"])
    response = editor_client.get(changelist_url(Condition), {"branch": "C17"})
    assert names(response) == ["Alopecia Areata", "Melanoma", "Skin and Connective Tissue Diseases"]
    choices = [c["display"] for c in response.context["cl"].filter_specs[1].choices(response.context["cl"])]
    assert "C17 Skin and Connective Tissue Diseases" in choices
    assert editor_client.get(changelist_url(Condition), {"branch": "C17.800"}).status_code == 302


def test_institution_filters_by_kind(editor_client):
    InstitutionFactory(name="Columbia University", kind="university")
    InstitutionFactory(name="FDA", kind="regulator")
    assert names(editor_client.get(changelist_url(Institution), {"kind__exact": "regulator"})) == ["FDA"]


def test_entity_page_has_aliases_inline_and_review_links(editor_client, drugs):
    html = editor_client.get(change_url(drugs)).content.decode()
    assert 'name="aliases-0-text"' in html
    assert 'value="Jakafi"' in html
    assert f"/admin/articles/articledrug/?drug={drugs.pk}&amp;review=suggested" in html


def test_renaming_a_slug_keeps_the_old_address_working(reviewer_client, client):
    condition = ConditionFactory(name="Hair loss", slug="hair-loss")
    data = {
        "name": "Hair loss",
        "slug": "alopecia",
        "description": "",
        "mesh_id": condition.mesh_id,
        "origin": "editor",
        "aliases-TOTAL_FORMS": 0,
        "aliases-INITIAL_FORMS": 0,
        "tree_numbers-TOTAL_FORMS": 0,
        "tree_numbers-INITIAL_FORMS": 0,
    }
    response = reviewer_client.post(change_url(condition), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert EntityRedirect.objects.get(old_slug="hair-loss").target_id == condition.pk
    response = client.get("/conditions/hair-loss/")
    assert (response.status_code, response["Location"]) == (301, "/conditions/alopecia/")


def test_every_sortable_column_sorts(editor_client, drugs):
    for model, columns in ((Drug, 6), (Condition, 5), (Institution, 7)):
        # An editor has no actions on entities, so there is no checkbox column.
        assert len(editor_client.get(changelist_url(model)).context["cl"].list_display) == columns
        for column in range(columns):
            for sign in ("", "-"):
                response = editor_client.get(changelist_url(model), {"o": f"{sign}{column}"})
                assert response.status_code == 200, (model, column)
