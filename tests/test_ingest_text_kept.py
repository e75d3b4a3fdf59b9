"""No text is lost on import: plain text is never parsed as markup, on any input path.

Each path (a .txt file, a .json and a .jsonl ``body``, text pasted in the admin, the
admin's article form) imports the same sentences, each with a "<" or ">" that a tag
stripper would eat, and must keep every character of the title, summary and body; real
HTML (a .html file, a json ``html``, pasted HTML) is parsed, and its escaped "&lt;" come
out as the same characters. The article page, the RSS feed and the API then show them.
"""

import html
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from articles.ingest.extract import looks_like_html, read_pasted
from articles.ingest.matcher import clear_matcher_cache
from articles.models import Article, ArticleStatus

from .admin_support import ARTICLE_INLINE_PREFIXES
from .sitekit import xml

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]

# Our own sentences; each carries one of the strings that used to be cut.
LINES = [
    "Response rates differed between the two arms of the trial (P<.001), the authors reported on Monday.",
    "The team wrote that a<b held for every dose they measured during the whole of the study.",
    "Patients who reached <VGPR after four cycles went on to a second line of treatment, the paper said.",
    "The ranking clozapine<olanzapine<risperidone) came from the final paragraph of the conclusions.",
    "In the models x > y & z held too, and this last sentence of the story must survive intact as well.",
]
TITLE = "Trial finds P<.001 & a<b for <VGPR"
SUMMARY = "Order clozapine<olanzapine<risperidone) and x > y & z."
BODY = "\n\n".join(LINES)


@pytest.fixture(autouse=True)
def vocabulary(load_vocabulary_subset):
    clear_matcher_cache()
    load_vocabulary_subset(drugs=["Olanzapine"], conditions=["Schizophrenia"])
    yield
    clear_matcher_cache()


def assert_kept(article, *, title=TITLE, summary=SUMMARY):
    assert article.title == title
    assert article.summary == summary
    assert article.body == BODY  # every character, paragraphs as written


def as_html_page():
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in LINES)
    return (
        f"<!DOCTYPE html><html><head><title>{html.escape(TITLE)}</title>"
        f'<meta name="description" content="{html.escape(SUMMARY)}"></head>'
        f"<body><article><h1>{html.escape(TITLE)}</h1>{paragraphs}</article></body></html>"
    )


def test_txt_json_and_jsonl_bodies_keep_every_character(tmp_path):
    (tmp_path / "story.txt").write_text(f"{TITLE}\n\n{BODY}\n")
    record = {"title": TITLE, "summary": SUMMARY, "body": BODY, "source": "Json Desk"}
    (tmp_path / "a.json").write_text(json.dumps([{**record, "url": "https://json.example/1"}]))
    (tmp_path / "b.jsonl").write_text(
        json.dumps({**record, "source": "Jsonl Desk", "url": "https://jsonl.example/1"}) + "\n"
    )
    call_command("import_articles", str(tmp_path / "story.txt"), "--source", "Text Desk")
    call_command("import_articles", str(tmp_path / "a.json"))
    call_command("import_articles", str(tmp_path / "b.jsonl"))
    assert_kept(Article.objects.get(source__name="Text Desk"), summary="")
    assert_kept(Article.objects.get(source_url="https://json.example/1"))
    assert_kept(Article.objects.get(source_url="https://jsonl.example/1"))


def test_html_is_parsed_and_its_escaped_text_kept(tmp_path):
    page = as_html_page()
    (tmp_path / "page.html").write_text(page)
    (tmp_path / "c.json").write_text(json.dumps({"html": page, "url": "https://html.example/1"}))
    call_command("import_articles", str(tmp_path / "page.html"), "--source", "Page Desk")
    call_command("import_articles", str(tmp_path / "c.json"))
    assert_kept(Article.objects.get(source__name="Page Desk"))
    assert_kept(Article.objects.get(source_url="https://html.example/1"))


def test_pasting_tells_plain_text_from_html():
    for text in (f"{TITLE}\n{BODY}", "<VGPR in a title\nand a body", "a<b</p> is text", "<b is not a tag"):
        assert not looks_like_html(text), text
        assert [r.body for r in read_pasted(text)] == [text]
    for text in (as_html_page(), "<p>One paragraph</p>", "  <div><p>x</p></div>", "<html><body>cut off"):
        assert looks_like_html(text), text
        assert [r.html for r in read_pasted(text)] == [text]
    # The editor can say which it is.
    assert [r.body for r in read_pasted("<p>Shown as written</p>", kind="text")] == ["<p>Shown as written</p>"]
    assert [r.html for r in read_pasted("Plain words", kind="html")] == ["Plain words"]


def test_admin_paste_and_article_form_keep_every_character(editor_client):
    url = reverse("admin:articles_article_import")
    response = editor_client.post(url, {"text": f"{TITLE}\n\n{BODY}", "source": "Paste Desk", "kind": "detect"})
    assert response.context["report"].counts["imported"] == 1, response.context["report"].items
    assert_kept(Article.objects.get(source__name="Paste Desk"), summary="")
    response = editor_client.post(url, {"text": as_html_page(), "source": "Html Desk", "kind": "detect"})
    assert response.context["report"].counts["imported"] == 1, response.context["report"].items
    assert_kept(Article.objects.get(source__name="Html Desk"))
    # Said to be plain text, even what looks like markup is kept as written.
    response = editor_client.post(url, {"text": f"<p>{TITLE}</p>\n\n{BODY}", "source": "Raw Desk", "kind": "text"})
    assert response.context["report"].counts["imported"] == 1, response.context["report"].items
    assert_kept(Article.objects.get(source__name="Raw Desk"), title=f"<p>{TITLE}</p>", summary="")

    data = {
        "title": TITLE,
        "slug": "typed-in-the-admin",
        "summary": SUMMARY,
        "body": BODY,
        "source": "",
        "source_url": "",
        "author": "A<B Reporter",
        "published_0": "",
        "published_1": "",
        "canonical": "",
        "status": ArticleStatus.DRAFT,
    }
    for prefix in ARTICLE_INLINE_PREFIXES:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = editor_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug="typed-in-the-admin")
    assert_kept(article)
    assert article.author == "A<B Reporter"


def test_page_feed_and_api_show_every_character(client, tmp_path):
    record = {"title": TITLE, "summary": SUMMARY, "body": BODY, "url": "https://show.example/1"}
    record["published"] = "2024-05-01T09:00:00Z"
    (tmp_path / "a.jsonl").write_text(json.dumps(record) + "\n")
    call_command("import_articles", str(tmp_path / "a.jsonl"), "--publish")
    article = Article.objects.get()

    page = client.get(article.get_absolute_url()).content.decode()
    for line in LINES:
        assert f"<p>{html.escape(line, quote=False)}</p>" in page.replace("&#x27;", "'")
    assert "<VGPR" not in page and "&lt;VGPR" in page  # escaped, never markup
    assert f'<h1 id="article-title">{html.escape(TITLE, quote=False)}</h1>' in page

    rss = xml(client.get(reverse("articles:feed")))
    item = rss.find("channel/item")
    assert html.unescape(item.findtext("title")) == TITLE
    assert html.unescape(item.findtext("description")) == SUMMARY

    data = client.get(reverse("api:article-detail", args=[article.slug])).json()
    assert (data["title"], data["summary"], data["body"]) == (TITLE, SUMMARY, BODY)

    found = client.get(reverse("articles:search"), {"q": "olanzapine"}).content.decode()
    assert html.escape(TITLE, quote=False) in found and "<VGPR" not in found
    assert "clozapine<" not in found and "clozapine&lt;" in found  # the snippet is escaped too
