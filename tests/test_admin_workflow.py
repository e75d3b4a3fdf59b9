"""The article workflow in the admin: actions and the change form go through the services."""

import datetime

import pytest
from django.utils import timezone

from articles import services
from articles.models import Article, ArticleDrug, ArticleStatus, LinkOrigin, LinkStatus

from .admin_support import ARTICLE_INLINE_PREFIXES, action, change_url, changelist_url, messages_of
from .factories import ArticleFactory, ConditionFactory, DrugFactory, link

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]


# The article page's inlines: each link type's list, then its "add" rows, then trial ids.
INLINE_PREFIXES = ARTICLE_INLINE_PREFIXES


def article_form_data(article, **changes):
    """The change form as the browser would post it, with `changes` applied."""
    data = {
        "title": article.title,
        "slug": article.slug,
        "summary": article.summary,
        "body": article.body,
        "source": article.source_id or "",
        "source_url": article.source_url or "",
        "author": article.author,
        "published_0": article.published.strftime("%Y-%m-%d") if article.published else "",
        "published_1": article.published.strftime("%H:%M:%S") if article.published else "",
        "canonical": article.canonical_id or "",
        "status": article.status,
        "study_type": "",
        "trial_phase": "",
        "participants": "",
        "journal": "",
        "doi": "",
        "regulatory_status": "",
    }
    for prefix in INLINE_PREFIXES:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(changes)
    return data


def with_new_drug_link(article, drug):
    """The article page posted with one row filled in "add drug links"."""
    new_row = {"drug": drug.pk, "status": "confirmed", "article": article.pk}
    return article_form_data(
        article,
        **{"drug_links-2-TOTAL_FORMS": 1, "drug_links-2-INITIAL_FORMS": 0},
        **{f"drug_links-2-0-{name}": value for name, value in new_row.items()},
    )


def test_change_status_refuses_steps_the_workflow_does_not_allow():
    article = ArticleFactory(status=ArticleStatus.DRAFT)
    with pytest.raises(services.WorkflowError, match="only published articles can become withdrawn"):
        services.change_status(article=article, status=ArticleStatus.WITHDRAWN)
    with pytest.raises(services.WorkflowError, match="is already draft"):
        services.change_status(article=article, status=ArticleStatus.DRAFT)
    services.change_status(article=article, status=ArticleStatus.REVIEW)
    services.change_status(article=article, status=ArticleStatus.PUBLISHED)
    with pytest.raises(services.WorkflowError, match="cannot|only"):
        services.change_status(article=article, status=ArticleStatus.DRAFT)


def test_reviewer_publishes_from_the_changelist_and_the_link_dates_follow(reviewer, reviewer_client):
    drafts = ArticleFactory.create_batch(2, status=ArticleStatus.REVIEW)
    row = link(drafts[0], ConditionFactory())
    assert row.published is None

    response = action(reviewer_client, Article, "publish_articles", drafts)
    assert "2 articles published." in messages_of(response)
    for article in drafts:
        article.refresh_from_db()
        assert article.status == ArticleStatus.PUBLISHED
        assert article.published is not None
        assert article.published_by == reviewer
        assert article.status_changed_at is not None
    row.refresh_from_db()
    assert row.published == drafts[0].published
    assert reviewer_client.get(drafts[0].get_absolute_url()).status_code == 200

    response = action(reviewer_client, Article, "withdraw_articles", drafts[:1])
    assert "1 article withdrawn." in messages_of(response)
    row.refresh_from_db()
    assert row.published is None
    assert reviewer_client.get(drafts[0].get_absolute_url()).status_code == 404


def test_publish_keeps_the_source_date_and_reports_what_it_refused(reviewer_client):
    when = timezone.now() - datetime.timedelta(days=3)
    ready = ArticleFactory(status=ArticleStatus.REVIEW, published=when)
    already = ArticleFactory(status=ArticleStatus.PUBLISHED, title="Old news")
    response = action(reviewer_client, Article, "publish_articles", [ready, already])
    msgs = messages_of(response)
    assert "1 article published." in msgs
    assert "1 not published: “Old news” is already published." in msgs
    ready.refresh_from_db()
    assert ready.published == when


def test_editor_submits_for_review_and_back_to_draft(editor, editor_client):
    article = ArticleFactory(status=ArticleStatus.DRAFT)
    action(editor_client, Article, "submit_for_review", [article])
    article.refresh_from_db()
    assert article.status == ArticleStatus.REVIEW
    assert article.history.latest().history_user == editor
    action(editor_client, Article, "back_to_draft", [article])
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT


def test_publishing_from_the_change_form_goes_through_the_service(reviewer, reviewer_client):
    article = ArticleFactory(status=ArticleStatus.REVIEW, published=None)
    row = link(article, DrugFactory())
    response = reviewer_client.post(change_url(article), article_form_data(article, status="published"))
    assert response.status_code == 200  # never dated today: the editor sets the date first
    assert "Set the date the source published it before publishing" in response.content.decode()
    dated = article_form_data(article, status="published", published_0="2020-02-03", published_1="10:00:00")
    response = reviewer_client.post(change_url(article), dated)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert (article.status, article.published_by) == (ArticleStatus.PUBLISHED, reviewer)
    assert article.published is not None
    row.refresh_from_db()
    assert row.published == article.published


def test_the_change_form_refuses_a_step_outside_the_workflow(reviewer_client):
    article = ArticleFactory(status=ArticleStatus.DRAFT)
    response = reviewer_client.post(change_url(article), article_form_data(article, status="withdrawn"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["status"]
    assert errors == ["A draft article cannot become “withdrawn” here; you may choose: in review, published."]
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT


def test_changing_the_date_of_a_published_article_moves_the_link_dates(reviewer_client):
    article = services.publish(article=ArticleFactory())
    row = link(article, ConditionFactory())
    new_date = timezone.now().replace(microsecond=0) - datetime.timedelta(days=30)
    article.published = new_date
    response = reviewer_client.post(change_url(article), article_form_data(article))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.published == new_date


def test_links_inline_shows_status_and_context_and_records_the_review(editor, editor_client):
    article = ArticleFactory(body="Patients with <b>alopecia</b> areata regrew hair on a JAK inhibitor.")
    condition = ConditionFactory(name="Alopecia Areata")
    row = link(article, condition, matched_text="alopecia</b> areata", first_offset=17)
    good = link(article, DrugFactory(name="Tofacitinib"), matched_text="JAK inhibitor", first_offset=54)

    page = editor_client.get(change_url(article))
    html = page.content.decode()
    assert '<mark class="mention">JAK inhibitor</mark>' in html
    assert "&lt;b&gt;" in html  # the article's text is escaped, never rendered
    assert "<b>alopecia" not in html

    data = article_form_data(
        article,
        **{
            "condition_links-TOTAL_FORMS": 1,
            "condition_links-INITIAL_FORMS": 1,
            "condition_links-0-id": row.pk,
            "condition_links-0-article": article.pk,
            "condition_links-0-status": "rejected",
            "drug_links-TOTAL_FORMS": 1,
            "drug_links-INITIAL_FORMS": 1,
            "drug_links-0-id": good.pk,
            "drug_links-0-article": article.pk,
            "drug_links-0-status": "suggested",
        },
    )
    response = editor_client.post(change_url(article), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"]
    row.refresh_from_db()
    good.refresh_from_db()
    assert (row.status, row.reviewed_by) == (LinkStatus.REJECTED, editor)
    assert row.reviewed_at is not None
    assert good.reviewed_by is None  # untouched rows are not "reviewed"


def test_reviewer_adds_a_link_with_the_autocomplete_inline(reviewer, reviewer_client):
    # (A published article's links are a Reviewer's to change: tests/test_review_bypass.py.)
    article = services.publish(article=ArticleFactory())
    drug = DrugFactory(name="Ruxolitinib")
    response = reviewer_client.post(change_url(article), with_new_drug_link(article, drug))
    assert response.status_code == 302
    row = ArticleDrug.objects.get(article=article, drug=drug)
    assert (row.origin, row.status, row.reviewed_by) == (LinkOrigin.EDITOR, LinkStatus.CONFIRMED, reviewer)
    article.refresh_from_db()
    assert row.published == article.published  # public at once, like every link of a public article
    page = reviewer_client.get(change_url(article)).content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in page  # the add row is an autocomplete, not a select


def test_adding_a_duplicate_link_is_a_form_error_not_a_crash(editor_client):
    article = ArticleFactory()
    drug = DrugFactory()
    link(article, drug)
    response = editor_client.post(change_url(article), with_new_drug_link(article, drug))
    assert response.status_code == 200
    assert "already linked to" in response.content.decode()
    assert ArticleDrug.objects.filter(article=article).count() == 1


def test_changelist_shows_links_to_review_and_filters_by_them(editor_client):
    pending = ArticleFactory(title="Pending story")
    link(pending, ConditionFactory())
    link(pending, DrugFactory())
    done = ArticleFactory(title="Reviewed story")
    link(done, DrugFactory(), status=LinkStatus.CONFIRMED)
    response = editor_client.get(changelist_url(Article), {"links": "to_review"})
    rows = list(response.context["cl"].result_list)
    assert [a.title for a in rows] == ["Pending story"]
    assert rows[0].to_review == 2
