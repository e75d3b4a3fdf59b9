"""History: every curated model's changes are listed (who, what, when) and revertible."""

import pytest
from django.urls import reverse

from articles import services
from articles.models import ArticleStatus, ArticleTrial, ConditionTreeNumber, Drug

from .admin_support import change_url, history_url
from .factories import ArticleFactory, ConditionFactory, DrugFactory, link

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]


def drug_form(drug, **changes):
    data = {
        "name": drug.name,
        "slug": drug.slug,
        "description": drug.description,
        "origin": drug.origin,
        "drugbank_id": drug.drugbank_id or "",
        "medlineplus_id": drug.medlineplus_id,
        "drug_class": drug.drug_class,
        "notes": drug.notes,
        "aliases-TOTAL_FORMS": 0,
        "aliases-INITIAL_FORMS": 0,
    }
    return {**data, **changes}


def test_history_shows_who_changed_what_and_a_revert_restores_it(editor, editor_client):
    drug = DrugFactory(name="Ruxolitinib", drug_class="JAK inhibitor")
    response = editor_client.post(change_url(drug), drug_form(drug, drug_class="kinase inhibitr"))
    assert response.status_code == 302
    drug.refresh_from_db()
    assert drug.drug_class == "kinase inhibitr"

    page = editor_client.get(history_url(drug))
    html = page.content.decode()
    assert "edna" in html
    assert "kinase inhibitr" in html and "JAK inhibitor" in html  # the change, before and after

    original = drug.history.earliest()
    revert_url = reverse("admin:articles_drug_simple_history", args=[drug.pk, original.history_id])
    form = editor_client.get(revert_url).context["adminform"].form
    assert form.initial["drug_class"] == "JAK inhibitor"
    response = editor_client.post(revert_url, drug_form(drug, drug_class="JAK inhibitor"))
    assert response.status_code == 302
    drug.refresh_from_db()
    assert drug.drug_class == "JAK inhibitor"
    latest = drug.history.latest()
    assert (latest.history_user, latest.drug_class) == (editor, "JAK inhibitor")
    assert drug.history.count() == 3


def test_reverting_an_article_cannot_sidestep_the_workflow(editor_client, reviewer):
    article = ArticleFactory(status=ArticleStatus.DRAFT, title="Draft title")
    draft = article.history.latest()
    services.publish(article=article, by=reviewer)
    url = reverse("admin:articles_article_simple_history", args=[article.pk, draft.history_id])
    data = {
        "title": "Draft title",
        "slug": article.slug,
        "body": article.body,
        "published_0": article.published.strftime("%Y-%m-%d"),
        "published_1": article.published.strftime("%H:%M:%S"),
    }
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert "Only a reviewer can publish or withdraw an article." in response.content.decode()
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED


def test_every_curated_model_has_a_history_page(editor_client):
    condition = ConditionFactory(tree_numbers=["C17.800"], aliases=["other name"])
    article = ArticleFactory()
    trial = ArticleTrial.objects.create(article=article, registry_id="NCT01234567")
    objects = [
        condition,
        condition.aliases.first(),
        ConditionTreeNumber.objects.get(condition=condition),
        article,
        article.source,
        trial,
        link(article, condition),
        Drug.objects.create(name="X", slug="x"),
    ]
    for obj in objects:
        response = editor_client.get(history_url(obj))
        assert response.status_code == 200, obj
        assert len(response.context["page_obj"].object_list) >= 1, obj
