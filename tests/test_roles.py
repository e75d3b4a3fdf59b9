"""Roles: the groups the data migration creates, and what each can (not) do in the admin."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from articles.models import Article, ArticleStatus, Condition, Drug, Institution

from .admin_support import (
    ARTICLE_INLINE_PREFIXES,
    action,
    change_url,
    changelist_url,
    client_for,
    delete_url,
    history_url,
    make_user,
)
from .factories import ArticleFactory, ConditionFactory, DrugFactory, link

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]

CURATED = [
    "article",
    "articlecondition",
    "articledrug",
    "articleinstitution",
    "articledrugclass",
    "articletrial",
    "condition",
    "conditionalias",
    "conditiontreenumber",
    "drug",
    "drugalias",
    "drugconditionreport",
    "drugclass",
    "drugclassalias",
    "drugclassmember",
    "institution",
    "institutionalias",
    "source",
]
EDITOR = {"import_articles", "view_entityredirect"} | {f"{a}_{m}" for m in CURATED for a in ("view", "add", "change")}
EDITOR |= {"view_feed", "add_feed", "change_feed", "view_feeditem"}  # following outlets (issue 15)
REVIEWER = EDITOR | {"publish_article", "merge_condition", "merge_drug", "merge_institution", "delete_feed"}
REVIEWER |= {f"delete_{m}" for m in CURATED}


def codenames(group_name):
    group = Group.objects.get(name=group_name)
    assert set(group.permissions.values_list("content_type__app_label", flat=True)) == {"articles"}
    return set(group.permissions.values_list("codename", flat=True))


def test_groups_have_exactly_their_permissions():
    assert codenames("Editor") == EDITOR
    assert codenames("Reviewer") == REVIEWER
    assert Permission.objects.filter(codename="publish_article", content_type__model="article").exists()


def action_names(client, model):
    response = client.get(changelist_url(model))
    assert response.status_code == 200
    form = response.context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def test_editor_has_the_editing_actions_only(editor_client):
    assert action_names(editor_client, Article) == {"submit_for_review", "back_to_draft"}
    for model in (Condition, Drug, Institution):
        assert action_names(editor_client, model) == set()


def test_reviewer_has_publish_merge_and_delete_actions(reviewer_client):
    assert action_names(reviewer_client, Article) == {
        "submit_for_review",
        "back_to_draft",
        "publish_articles",
        "withdraw_articles",
        "delete_selected",
    }
    assert action_names(reviewer_client, Condition) == {"merge_selected", "delete_selected"}


def test_editor_cannot_publish_by_posting_the_action(editor_client):
    article = ArticleFactory(status=ArticleStatus.REVIEW)
    for name in ("publish_articles", "withdraw_articles", "delete_selected"):
        action(editor_client, Article, name, [article], post="yes")
        article.refresh_from_db()
        assert article.status == ArticleStatus.REVIEW
    assert not Article.objects.published().exists()


def test_editor_cannot_publish_through_the_change_form(editor_client):
    article = ArticleFactory(status=ArticleStatus.REVIEW)
    page = editor_client.get(change_url(article))
    choices = [value for value, _ in page.context["adminform"].form.fields["status"].choices]
    assert choices == ["draft", "review"]
    data = {
        "title": article.title,
        "slug": article.slug,
        "body": article.body,
        "status": "published",
        **{f"{p}-{k}": 0 for p in INLINE_PREFIXES for k in ("TOTAL_FORMS", "INITIAL_FORMS")},
    }
    response = editor_client.post(change_url(article), data)
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.status == ArticleStatus.REVIEW


INLINE_PREFIXES = ARTICLE_INLINE_PREFIXES


def test_editor_cannot_unpublish_a_published_article(editor_client):
    from articles import services

    article = services.publish(article=ArticleFactory())
    page = editor_client.get(change_url(article))
    assert "status" not in page.context["adminform"].form.fields  # shown, not editable


def test_editor_cannot_merge(editor_client):
    a, b = ConditionFactory.create_batch(2)
    action(editor_client, Condition, "merge_selected", [a, b])
    url = reverse("admin:articles_condition_merge")
    assert editor_client.get(url, {"ids": [a.pk, b.pk]}).status_code == 403
    assert editor_client.post(url, {"ids": [a.pk, b.pk], "survivor": a.pk}).status_code == 403
    assert Condition.objects.count() == 2


def test_editor_cannot_delete(editor_client):
    drug = DrugFactory()
    assert editor_client.post(delete_url(drug), {"post": "yes"}).status_code == 403
    assert Drug.objects.filter(pk=drug.pk).exists()


def test_staff_without_a_role_sees_nothing():
    client = client_for(make_user("nobody"))
    assert client.get(changelist_url(Article)).status_code == 403
    assert client.get(reverse("admin:articles_condition_merge")).status_code == 403


def test_revert_needs_the_change_permission_not_just_a_hidden_button():
    drug = DrugFactory(name="Original")
    first = drug.history.earliest()
    drug.name = "Changed"
    drug.save()
    viewer = make_user("viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_drug"))
    client = client_for(viewer)
    url = reverse("admin:articles_drug_simple_history", args=[drug.pk, first.history_id])
    assert client.get(url).status_code == 200  # may look
    response = client.post(url, {"name": "Original", "slug": drug.slug, "origin": "editor"})
    assert response.status_code == 403
    drug.refresh_from_db()
    assert drug.name == "Changed"


def admin_urls():
    """Every registered model's changelist and add page, and the custom views."""
    urls = []
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    for name in ("condition", "drug", "institution"):
        urls.append(reverse(f"admin:articles_{name}_merge"))
    urls += [reverse("admin:articles_article_import"), reverse("admin:index"), reverse("admin:autocomplete")]
    urls.append("/admin/articles/")
    return urls


def test_anonymous_users_reach_no_admin_page():
    client = Client()
    article = ArticleFactory()
    condition = ConditionFactory()
    urls = [
        *admin_urls(),
        change_url(article),
        history_url(article),
        reverse("admin:articles_article_simple_history", args=[article.pk, article.history.latest().history_id]),
        delete_url(condition),
    ]
    assert len(urls) > 40
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/"), url
    assert Condition.objects.filter(pk=condition.pk).exists()


def test_reviewer_deletes_with_a_readable_confirmation(reviewer_client, django_assert_max_num_queries):
    drug = DrugFactory()
    for article in ArticleFactory.create_batch(45):
        link(article, drug)
    with django_assert_max_num_queries(40):  # 20 rows shown, each naming its article; not 45
        page = reviewer_client.get(delete_url(drug))
    assert page.status_code == 200
    html = page.content.decode()
    assert "… and 26 more (see the summary above)" in html
    assert "Article drugs: 45" in html  # the summary still counts everything
    response = reviewer_client.post(delete_url(drug), {"post": "yes"})
    assert response.status_code == 302
    assert not Drug.objects.filter(pk=drug.pk).exists()
