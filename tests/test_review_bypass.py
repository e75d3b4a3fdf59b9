"""Review can't be bypassed (issue 13, item 11): an Editor, who may not publish, cannot change
what readers see of a published article either — not on the change form (text, details,
trial ids, links, a history revert), the trial id and link pages, the review queue's
actions, nor by importing a record with its URL (command line, admin, background job). The
change is refused with a message naming the Reviewer role; a Reviewer or a superuser makes
it. Drafts, articles in review and withdrawn articles stay the Editor's to edit."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from articles import services, tasks
from articles.ingest import pipeline
from articles.ingest.extract import read_path
from articles.models import Article, ArticleDrug, ArticleStatus, ArticleTrial, Condition, ImportJob, LinkStatus

from .admin_support import action, change_url, changelist_url, client_for, make_user, messages_of
from .factories import ArticleFactory, DrugFactory, link
from .test_admin_workflow import article_form_data, with_new_drug_link

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]

REFUSED = "only a Reviewer (who may publish) can change a published article"
IMPORT_URL = reverse("admin:articles_article_import")


@pytest.fixture
def published():
    return services.publish(article=ArticleFactory(title="Trial drug halves relapses", summary="As published."))


# --------------------------------------------------------------------------- the change form


def test_an_editor_cannot_change_a_published_articles_title_or_body(editor_client, published):
    for change in ({"title": "A headline nobody reviewed"}, {"body": "Words nobody reviewed.\n\nMore of them."}):
        response = editor_client.post(change_url(published), article_form_data(published, **change))
        assert response.status_code == 200
        assert REFUSED in response.content.decode()
        published.refresh_from_db()
        assert published.title == "Trial drug halves relapses"
        assert published.body.startswith("First paragraph")


def test_an_editor_cannot_change_a_published_articles_details_either(editor_client, published):
    response = editor_client.post(change_url(published), article_form_data(published, summary="Spun."))
    assert REFUSED in response.content.decode()
    published.refresh_from_db()
    assert published.summary == "As published."


def test_the_change_form_tells_an_editor_who_may_change_a_published_article(editor_client, reviewer_client, published):
    notice = "Published: only a Reviewer can change this article"
    assert notice in editor_client.get(change_url(published)).content.decode()
    assert notice not in reviewer_client.get(change_url(published)).content.decode()


def test_an_editor_may_still_save_a_published_article_unchanged(editor_client, published):
    response = editor_client.post(change_url(published), article_form_data(published))
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["Reviewer", "superuser"])
def test_a_reviewer_or_superuser_changes_a_published_article(role, published):
    user = make_user("boss", superuser=True) if role == "superuser" else make_user("rev", "Reviewer")
    data = article_form_data(published, title="Corrected headline")
    response = client_for(user).post(change_url(published), data)
    assert response.status_code == 302
    published.refresh_from_db()
    assert (published.title, published.status) == ("Corrected headline", ArticleStatus.PUBLISHED)
    assert published.history.latest().history_user == user


def test_an_editor_edits_drafts_and_withdrawn_articles(editor_client, reviewer, published):
    services.change_status(article=published, status=ArticleStatus.WITHDRAWN, by=reviewer)
    response = editor_client.post(change_url(published), article_form_data(published, title="Fixed while withdrawn"))
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.title == "Fixed while withdrawn"


def test_an_editor_cannot_revert_a_published_article_to_an_older_text(editor_client, reviewer, published):
    old = published.history.latest()
    published.title = "Second headline"
    published.save()
    url = reverse("admin:articles_article_simple_history", args=[published.pk, old.history_id])
    response = editor_client.post(url, article_form_data(published, title=old.title))
    assert REFUSED in response.content.decode()
    published.refresh_from_db()
    assert published.title == "Second headline"


def test_an_editor_cannot_add_trial_ids_to_a_published_article(editor_client, published):
    data = article_form_data(
        published, **{"trials-TOTAL_FORMS": 1, "trials-INITIAL_FORMS": 0, "trials-0-registry_id": "NCT01234567"}
    )
    editor_client.post(change_url(published), data)
    assert not ArticleTrial.objects.exists()  # the inline is read-only for them
    response = editor_client.post(
        reverse("admin:articles_articletrial_add"), {"article": published.pk, "registry_id": "NCT01234567"}
    )
    assert response.status_code == 200 and REFUSED in response.content.decode()
    assert not ArticleTrial.objects.exists()


def test_an_editor_cannot_revert_a_published_articles_trial_id(editor_client, reviewer, published):
    trial = ArticleTrial.objects.create(article=published, registry_id="NCT01234567")
    old = trial.history.latest()
    trial.registry_id = "NCT07654321"
    trial.save()
    url = reverse("admin:articles_articletrial_simple_history", args=[trial.pk, old.history_id])
    response = editor_client.post(url, {"article": published.pk, "registry_id": "NCT01234567"})
    assert REFUSED in response.content.decode()
    trial.refresh_from_db()
    assert trial.registry_id == "NCT07654321"


def test_a_reviewer_adds_trial_ids_to_a_published_article(reviewer_client, published):
    response = reviewer_client.post(
        reverse("admin:articles_articletrial_add"), {"article": published.pk, "registry_id": "NCT01234567"}
    )
    assert response.status_code == 302
    assert ArticleTrial.objects.get().article == published


# --------------------------------------------------------------------------- links


def test_an_editor_cannot_add_or_change_links_of_a_published_article_on_its_page(editor_client, published):
    drug = DrugFactory(name="Ruxolitinib")
    response = editor_client.post(change_url(published), with_new_drug_link(published, drug))
    assert response.status_code == 200 and REFUSED in response.content.decode()
    assert not ArticleDrug.objects.exists()
    row = link(published, DrugFactory())
    data = article_form_data(
        published,
        **{"drug_links-TOTAL_FORMS": 1, "drug_links-INITIAL_FORMS": 1, "drug_links-0-id": row.pk},
        **{"drug_links-0-article": published.pk, "drug_links-0-status": "rejected"},
    )
    assert REFUSED in editor_client.post(change_url(published), data).content.decode()
    row.refresh_from_db()
    assert row.status == LinkStatus.SUGGESTED


def test_an_editor_still_reviews_the_links_of_a_draft_on_its_page(editor_client):
    draft = ArticleFactory()
    response = editor_client.post(change_url(draft), with_new_drug_link(draft, DrugFactory()))
    assert response.status_code == 302
    assert ArticleDrug.objects.get().status == LinkStatus.CONFIRMED


def test_an_editor_cannot_add_a_link_to_a_published_article_in_the_queue(editor_client, reviewer_client, published):
    form = {"drug": DrugFactory().pk, "status": "confirmed", "origin": "auto", "confidence": "1"}
    form |= {"article": published.pk, "matched_text": "", "first_offset": "", "mention_count": "1"}
    response = editor_client.post(f"{changelist_url(ArticleDrug)}add/", form)
    assert response.status_code == 200 and REFUSED in response.content.decode()
    assert not ArticleDrug.objects.exists()
    assert reviewer_client.post(f"{changelist_url(ArticleDrug)}add/", form).status_code == 302


def test_the_queue_confirms_an_editors_selection_except_published_articles_links(editor_client, published):
    public_row = link(published, DrugFactory())
    draft_row = link(ArticleFactory(), DrugFactory())
    response = action(editor_client, ArticleDrug, "confirm_links", [public_row, draft_row])
    shown = " ".join(messages_of(response))
    assert "1 of the selected links belong to published articles and were not changed" in shown
    assert "Reviewer" in shown and "1 link confirmed" in shown
    public_row.refresh_from_db()
    draft_row.refresh_from_db()
    assert (public_row.status, draft_row.status) == (LinkStatus.SUGGESTED, LinkStatus.CONFIRMED)


def test_a_reviewer_reviews_the_links_of_a_published_article_in_the_queue(reviewer_client, published):
    row = link(published, DrugFactory())
    action(reviewer_client, ArticleDrug, "reject_links", [row])
    row.refresh_from_db()
    assert row.status == LinkStatus.REJECTED


# --------------------------------------------------------------------------- imports


def _records_file(tmp_path, published, draft):
    """Line 1 rewrites the published story, line 2 is new, line 3 updates a draft."""
    body = "Researchers followed ninety patients on the new tablet for a year and counted relapses. " * 3
    lines = [
        {"title": "Rewritten by an import", "body": body, "url": published.source_url, "source": "Desk"},
        {"title": "A new story", "body": body + "It is new.", "url": "https://news.example/new", "source": "Desk"},
        {"title": "Draft, updated", "body": body + "Draft.", "url": draft.source_url, "source": "Desk"},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _check_refused(report, published, draft):
    [failed] = report.failed
    assert failed.where.endswith("batch.jsonl line 1")
    assert published.slug in failed.message and REFUSED in failed.message
    published.refresh_from_db()
    assert (published.title, published.status) == ("Trial drug halves relapses", ArticleStatus.PUBLISHED)
    draft.refresh_from_db()
    assert draft.title == "Draft, updated"  # the other records are kept
    assert Article.objects.filter(source_url="https://news.example/new").exists()


def test_an_editors_import_does_not_overwrite_a_published_article(tmp_path, editor, published):
    draft = ArticleFactory()
    report = pipeline.import_records(read_path(str(_records_file(tmp_path, published, draft))), user=editor)
    _check_refused(report, published, draft)


@pytest.mark.parametrize("role", ["Reviewer", "superuser"])
def test_a_reviewers_import_updates_a_published_article(role, tmp_path, published):
    user = make_user("boss", superuser=True) if role == "superuser" else make_user("rev", "Reviewer")
    draft = ArticleFactory()
    report = pipeline.import_records(read_path(str(_records_file(tmp_path, published, draft))), user=user)
    assert not report.failed
    published.refresh_from_db()
    assert (published.title, published.status) == ("Rewritten by an import", ArticleStatus.PUBLISHED)


def test_the_command_line_needs_update_published_to_change_a_published_article(tmp_path, published):
    Condition.objects.create(name="Alopecia", mesh_id="D000505", slug="alopecia")
    draft = ArticleFactory()
    path = str(_records_file(tmp_path, published, draft))
    with pytest.raises(CommandError, match="1 record"):
        call_command("import_articles", path, verbosity=0, stderr=(err := io.StringIO()))
    assert "batch.jsonl line 1" in err.getvalue() and REFUSED in err.getvalue()
    _check_refused_titles(published, "Trial drug halves relapses")
    call_command("import_articles", path, "--update-published", verbosity=0)
    _check_refused_titles(published, "Rewritten by an import")


def _check_refused_titles(article, title):
    article.refresh_from_db()
    assert article.title == title


def test_an_editors_admin_import_and_job_report_the_refusal(tmp_path, editor_client, editor, published):
    Condition.objects.create(name="Alopecia", mesh_id="D000505", slug="alopecia")
    draft = ArticleFactory()
    data = _records_file(tmp_path, published, draft).read_bytes()
    response = editor_client.post(IMPORT_URL, {"files": [SimpleUploadedFile("batch.jsonl", data)]})
    _check_refused(response.context["report"], published, draft)
    assert REFUSED in response.content.decode()

    job = tasks.create_job([("batch.jsonl", data)], user=editor)
    tasks.run_job(job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    assert job.counts["failed"] == 1
    [(_status, where, message, _slug)] = [item for item in job.items if item[0] == pipeline.FAILED]
    assert where.endswith("batch.jsonl line 1") and REFUSED in message
    _check_refused_titles(published, "Trial drug halves relapses")
