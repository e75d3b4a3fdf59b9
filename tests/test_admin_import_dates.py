"""Imported stories keep their own date: stated in the story, given on the form, or honestly unknown."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.ingest.datelines import dateline_date
from articles.models import Article, ArticleStatus

from .admin_support import action
from .test_admin_import import STORY, result

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]

IMPORT_URL = reverse("admin:articles_article_import")
TITLE = STORY.split("\n", 1)[0]


@pytest.fixture
def vocabulary(load_vocabulary_subset):
    load_vocabulary_subset(drugs={"Ruxolitinib"}, conditions={"Alopecia Areata"}, institutions=set())


@pytest.mark.parametrize(
    ("removed", "lead", "expected"),
    [
        ([("byline", "Published 12 March 2019")], "", datetime.datetime(2019, 3, 12)),
        ([("byline", "By Sam Reed, September 3rd, 2017")], "", datetime.datetime(2017, 9, 3)),
        ([], "OSLO, 2016-07-01 — Doctors said on Friday", datetime.datetime(2016, 7, 1)),
        ([], "A trial published March 3, 2019 in a journal found", None),  # a date in the story, not its dateline
        ([("byline", "By Sam Reed")], "Nothing dated here.", None),
    ],
)
def test_a_dateline_gives_the_date(removed, lead, expected):
    assert dateline_date(removed, lead) == expected


def test_publishing_an_undated_import_keeps_it_a_draft_saying_date_unknown(reviewer_client, vocabulary):
    report = result(reviewer_client.post(IMPORT_URL, {"text": STORY, "publish": "on"}))
    article = Article.objects.get()
    assert (article.status, article.published) == (ArticleStatus.DRAFT, None)
    (item,) = report.items
    assert "kept as a draft: date unknown" in item.message


def test_the_story_dateline_beats_the_form_date_and_publishes(reviewer_client, vocabulary):
    dated = STORY.replace("\n", "\nPublished 12 March 2019\n\n", 1)
    result(reviewer_client.post(IMPORT_URL, {"text": dated, "publish": "on", "published": "2024-01-01"}))
    article = Article.objects.get()
    assert article.status == ArticleStatus.PUBLISHED
    assert timezone.localtime(article.published).date() == datetime.date(2019, 3, 12)
    assert "Published 12 March" not in article.body


def test_the_form_gives_date_url_and_outlet(editor_client, vocabulary):
    posted = {"text": STORY, "published": "2018-06-30", "url": "news.example/hair", "source": "Health Desk"}
    result(editor_client.post(IMPORT_URL, posted))
    article = Article.objects.get()
    assert timezone.localtime(article.published).date() == datetime.date(2018, 6, 30)
    assert (article.source_url, article.source.name) == ("https://news.example/hair", "Health Desk")


def test_html_meta_date_is_used(editor_client, vocabulary):
    paragraphs = "".join(f"<p>{line}</p>" for line in STORY.split("\n")[1:] if line)
    html = (
        '<html><head><title>Hair news</title><meta property="article:published_time" content="2015-05-20">'
        f"</head><body><article><h1>{TITLE}</h1>{paragraphs}</article></body></html>"
    )
    result(editor_client.post(IMPORT_URL, {"text": html, "kind": "html"}))
    article = Article.objects.get()
    assert timezone.localtime(article.published).date() == datetime.date(2015, 5, 20)


def test_a_title_repeated_as_the_first_paragraph_is_dropped(editor_client, vocabulary):
    long_title = "Bone-marrow pill regrows hair in three adults"
    html = (
        f"<html><head><title>{long_title}</title></head><body><article><h1>{long_title}</h1>"
        f"<p>{long_title}</p>"
        + "".join(f"<p>{line}</p>" for line in STORY.split("\n")[1:] if line)
        + "</article></body></html>"
    )
    result(editor_client.post(IMPORT_URL, {"text": html, "kind": "html"}))
    article = Article.objects.get()
    assert not article.body.startswith(long_title)


def test_no_publish_path_stamps_today(reviewer, reviewer_client, vocabulary):
    result(reviewer_client.post(IMPORT_URL, {"text": STORY}))
    article = Article.objects.get()
    with pytest.raises(services.WorkflowError, match="no publication date"):
        services.change_status(article=article, status=ArticleStatus.PUBLISHED, by=reviewer)
    with pytest.raises(services.MissingDateError):
        services.publish(article=article, by=reviewer)
    response = action(reviewer_client, Article, "publish_articles", [article])
    assert "no publication date" in response.content.decode()
    article.refresh_from_db()
    assert (article.status, article.published) == (ArticleStatus.DRAFT, None)
