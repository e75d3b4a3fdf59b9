"""Import from the admin: uploads and pasted text through the import_articles pipeline."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles.ingest import pipeline
from articles.ingest.extract import read_upload
from articles.models import Article, ArticleDrug, ArticleStatus, LinkStatus

from .admin_support import action, changelist_url, client_for, make_user

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]

IMPORT_URL = reverse("admin:articles_article_import")

# Our own words, not the example's.
STORY = """Bone-marrow drug helps three patients regrow hair
Three people with alopecia areata regrew their hair after months on ruxolitinib, a pill
approved for a rare bone-marrow disorder, doctors at Columbia University reported.

The team said larger trials of ruxolitinib are needed before the drug can be offered
for alopecia areata outside a study.
"""


@pytest.fixture
def vocabulary(load_vocabulary_subset):
    load_vocabulary_subset(
        drugs={"Ruxolitinib"}, conditions={"Alopecia Areata", "Alopecia"}, institutions={"Columbia University"}
    )


def upload(name, content):
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def result(response):
    assert response.status_code == 200
    return response.context["report"]


def test_the_changelist_offers_import_to_editors(editor_client):
    html = editor_client.get(changelist_url(Article)).content.decode()
    assert f'href="{IMPORT_URL}"' in html


def test_editor_uploads_a_file_and_sees_what_was_created(editor_client, vocabulary):
    response = editor_client.post(IMPORT_URL, {"files": [upload("rux.txt", STORY)], "source": "Health Desk"})
    report = result(response)
    assert report.summary().startswith("1 imported, 0 updated, 0 duplicates")
    article = Article.objects.get()
    assert (article.title, article.status, article.source.name) == (
        "Bone-marrow drug helps three patients regrow hair",
        ArticleStatus.DRAFT,
        "Health Desk",
    )
    html = response.content.decode()
    assert "1 imported, 0 updated" in html
    assert reverse("admin:articles_article_change", args=[article.pk]) in html
    drug_links = ArticleDrug.objects.filter(article=article)
    assert [(link.drug.name, link.status) for link in drug_links] == [("Ruxolitinib", LinkStatus.SUGGESTED)]


def test_the_example_article_imports(editor_client, vocabulary, example_article_path):
    data = example_article_path.read_bytes()
    report = result(editor_client.post(IMPORT_URL, {"files": [upload(example_article_path.name, data)]}))
    assert report.counts["imported"] == 1
    article = Article.objects.get()
    assert "ruxolitinib" in article.body
    assert "Latest Stories" not in article.body  # the sidebar is cleaned away
    assert ArticleDrug.objects.filter(article=article, drug__name="Ruxolitinib").exists()


def test_pasted_text_and_html_import(editor_client, vocabulary):
    report = result(editor_client.post(IMPORT_URL, {"text": STORY}))
    assert report.counts["imported"] == 1
    html = "<html><body><h1>Hair story</h1><article><p>" + STORY.replace("\n\n", "</p><p>") + "</p></article>"
    report = result(editor_client.post(IMPORT_URL, {"text": html}))
    assert report.counts["imported"] + report.counts["duplicates"] == 1


def test_bad_files_fail_with_the_pipelines_messages_and_the_rest_imports(editor_client, vocabulary):
    files = [
        upload("empty.txt", ""),
        upload("notes.pdf", "%PDF-1.4"),
        upload("latin1.txt", "Caf\xe9 story\nBody".encode("latin-1")),
        upload("batch.json", json.dumps([{"title": "No body"}, {"title": "Good one", "body": STORY}])),
    ]
    response = editor_client.post(IMPORT_URL, {"files": files})
    report = result(response)
    failed = {item.where: item.message for item in report.failed}
    # Exactly what import_articles says for the same input.
    expected = pipeline.import_records(
        [
            *read_upload("empty.txt", b""),
            *read_upload("notes.pdf", b"%PDF-1.4"),
            *read_upload("latin1.txt", "Caf\xe9 story\nBody".encode("latin-1")),
        ],
        dry_run=True,
    )
    for item in expected.failed:
        assert failed[item.where] == item.message
    assert "batch.json record 1" in failed
    assert report.counts["imported"] == 1
    html = response.content.decode()
    assert "Failed (4)" in html
    assert "unsupported file type" in html


def test_no_input_is_a_form_error(editor_client, vocabulary):
    response = editor_client.post(IMPORT_URL, {"text": "   "})
    assert response.context["form"].non_field_errors() == ["Choose files to upload or paste a story."]
    assert not Article.objects.exists()


def test_empty_vocabulary_is_explained(editor_client):
    response = editor_client.post(IMPORT_URL, {"text": STORY})
    assert "load_vocabulary" in response.context["form"].non_field_errors()[0]
    assert not Article.objects.exists()


def test_only_reviewers_may_publish_on_import(editor_client, reviewer_client, vocabulary):
    assert "publish" not in editor_client.get(IMPORT_URL).context["form"].fields
    result(editor_client.post(IMPORT_URL, {"text": STORY, "publish": "on"}))
    assert Article.objects.get().status == ArticleStatus.DRAFT
    Article.objects.all().delete()
    result(reviewer_client.post(IMPORT_URL, {"text": STORY, "publish": "on", "published": "2019-03-04"}))
    article = Article.objects.get()
    assert article.status == ArticleStatus.PUBLISHED
    assert article.published.date().isoformat() == "2019-03-04"
    assert article.published_by.username == "rene"


def test_dry_run_saves_nothing(editor_client, vocabulary):
    report = result(editor_client.post(IMPORT_URL, {"text": STORY, "dry_run": "on"}))
    assert report.counts["imported"] == 1
    assert "dry run" in report.summary()
    assert not Article.objects.exists()


def test_import_needs_the_import_permission():
    client = client_for(make_user("nobody"))
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"text": STORY}).status_code == 403


def test_rejected_links_stay_rejected_on_reimport(editor_client, vocabulary):
    record = {"title": "Hair drug", "body": STORY, "url": "https://news.example/hair"}
    result(editor_client.post(IMPORT_URL, {"files": [upload("a.json", json.dumps(record))]}))
    link = ArticleDrug.objects.get(drug__name="Ruxolitinib")
    action(editor_client, ArticleDrug, "reject_links", [link])
    link.refresh_from_db()
    assert link.status == LinkStatus.REJECTED

    record["body"] = STORY + "\nA follow-up trial of ruxolitinib has started.\n"
    report = result(editor_client.post(IMPORT_URL, {"files": [upload("a.json", json.dumps(record))]}))
    assert report.counts["updated"] == 1
    link.refresh_from_db()
    assert link.status == LinkStatus.REJECTED
    assert ArticleDrug.objects.filter(article=link.article).count() == 1
