"""Copies are kept: the same story from another outlet or address is a syndicated copy.

Only the same URL (an update) or the same outlet with the same text (the story again
under another address) is a duplicate. A copy keeps its own title, URL, source and date,
points to the first-seen original, and is listed on it (page and API). The outlet is the
record's source, or its URL's host when it names none; host-like sources ("Reuters.com",
"www.reuters.com") are one outlet. Also here: what the importer refuses as not a story.
"""

import html
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from articles.ingest import outlets
from articles.ingest.extract import record_from_mapping
from articles.ingest.matcher import clear_matcher_cache
from articles.ingest.pipeline import MIN_STORY_WORDS, import_records
from articles.models import Article, Source

pytestmark = pytest.mark.django_db

# Our own story and a rewrite of the same news (not a copy).
STORY = (
    "A weekly injection cut the number of migraine days by half in adults who had tried two other treatments, "
    "neurologists reported on Thursday.\n\n"
    "The trial followed 400 patients for six months; side effects were mild and mostly at the injection site.\n\n"
    "The company plans to ask regulators for approval next year, and a second trial in teenagers has begun."
)
REWRITE = (
    "Adults whose migraines resisted two earlier drugs had half as many bad days on a new weekly shot, "
    "according to a six-month study of 400 people.\n\n"
    "Doctors called the effect large; most complaints were soreness where the needle went in.\n\n"
    "Approval will be sought next year, the maker said, while teenagers are now being enrolled in another study."
)


@pytest.fixture(autouse=True)
def vocabulary(load_vocabulary_subset):
    clear_matcher_cache()
    load_vocabulary_subset(conditions=["Migraine Disorders"])
    yield
    clear_matcher_cache()


def records(*items):
    return [record_from_mapping(item, f"record {n}") for n, item in enumerate(items, start=1)]


def story(title, url, source=None, published="2024-03-05T08:00:00Z", body=STORY):
    record = {"title": title, "body": body, "url": url, "published": published}
    if source is not None:
        record["source"] = source
    return record


def test_the_same_text_from_another_outlet_is_a_copy_with_its_own_title_url_source_and_date():
    report = import_records(
        records(
            story("Weekly shot halves migraine days", "https://first.example/migraine", "First Post"),
            story("Migraine jab works, trial finds", "https://second.example/news/1", "Second Times", "2024-03-06"),
        ),
        publish=True,
    )
    assert [item.status for item in report.items] == ["created", "syndicated"], report.items
    assert report.counts == {**report.counts, "imported": 2, "duplicates": 0, "syndicated copies": 1}
    original = Article.objects.get(source_url="https://first.example/migraine")
    copy = Article.objects.get(source_url="https://second.example/news/1")
    assert copy.canonical == original and original.canonical is None
    assert (copy.title, copy.source.name, copy.published.date().isoformat()) == (
        "Migraine jab works, trial finds",
        "Second Times",
        "2024-03-06",
    )
    assert copy.syndication_similarity == 1.0
    assert list(original.copies.all()) == [copy]


def test_same_url_updates_and_same_outlet_with_same_text_is_a_duplicate():
    first = story("Weekly shot halves migraine days", "https://first.example/migraine", "First Post")
    import_records(records(first))
    report = import_records(
        records(
            first,  # the same address again: nothing new
            story("Shot halves migraine days", "https://first.example/amp/migraine", "First Post"),  # same outlet
            story("Shot halves migraine days", "https://first.example/print/migraine"),  # its host: same outlet
        )
    )
    assert [item.status for item in report.items] == ["unchanged", "duplicate", "duplicate"], report.items
    assert "from the same outlet" in report.items[1].message
    assert Article.objects.count() == 1


def test_a_copy_of_a_copy_points_to_the_first_seen_original():
    import_records(records(story("Original", "https://one.example/a", "One")))
    import_records(records(story("First copy", "https://two.example/b", "Two")))
    report = import_records(records(story("Second copy", "https://three.example/c", "Three")))
    assert report.items[0].status == "syndicated"
    original = Article.objects.get(title="Original")
    assert set(original.copies.values_list("title", flat=True)) == {"First copy", "Second copy"}
    assert Article.objects.get(title="Second copy").canonical == original


def test_a_story_rewritten_by_another_outlet_is_its_own_article():
    report = import_records(
        records(
            story("Weekly shot halves migraine days", "https://first.example/migraine", "First Post"),
            story("New migraine shot", "https://other.example/m", "Other", body=REWRITE),
        )
    )
    assert [item.status for item in report.items] == ["created", "created"]
    assert not Article.objects.filter(canonical__isnull=False).exists()


def test_the_original_lists_its_copies_and_the_copy_page_agrees(client):
    import_records(
        records(
            story("Weekly shot halves migraine days", "https://first.example/migraine", "First Post"),
            story("Migraine jab works, trial finds", "https://second.example/news/1", "Second Times", "2024-03-06"),
        ),
        publish=True,
    )
    original = Article.objects.get(source__name="First Post")
    copy = Article.objects.get(source__name="Second Times")

    page = client.get(original.get_absolute_url()).content.decode()
    assert "Also published by" in page and copy.get_absolute_url() in page
    assert html.escape(copy.title, quote=False) in page
    assert "Read the original story at First Post" in page

    page = client.get(copy.get_absolute_url()).content.decode()
    assert "A syndicated copy. First published by First Post on 5 March 2024" in page
    assert original.get_absolute_url() in page
    assert "Read this copy at Second Times" in page and "Read the original story" not in page

    data = client.get(reverse("api:article-detail", args=[original.slug])).json()
    assert data["canonical"] is None and data["copies"] == [{"slug": copy.slug, "source": "Second Times"}]
    data = client.get(reverse("api:article-detail", args=[copy.slug])).json()
    assert data["canonical"] == original.slug and data["title"] == copy.title


@pytest.mark.parametrize(
    ("source", "url", "expected"),
    [
        ("Reuters.com", "", "reuters.com"),
        ("www.Reuters.com", "", "reuters.com"),
        ("consumer.healthday.com", "", "healthday.com"),
        ("news.bbc.co.uk", "", "bbc.co.uk"),
        ("abcnews.go.com", "", "abcnews.go.com"),
        (
            "web.archive.org",
            "https://web.archive.org/web/20180101000000/http://www.statnews.com:80/2018/x",
            "statnews.com",
        ),
        ("", "https://www.npr.org/sections/health/1", "npr.org"),
        ("BBC News", "https://www.bbc.co.uk/news/1", "BBC News"),
        ("", "", ""),
        ("tinyurl.com", "http://tinyurl.com/abc123", ""),
    ],
)
def test_outlet_names(source, url, expected):
    assert outlets.outlet_name(source, url) == expected


def test_host_sources_make_one_source_per_outlet():
    import_records(
        records(
            story("Weekly shot halves migraine days", "https://www.paper.example/a", "Paper.example"),
            story("Other story", "https://paper.example/b", "www.paper.example", body=REWRITE),
        )
    )
    assert list(Source.objects.values_list("name", "slug")) == [("paper.example", "paper-example")]


def test_what_stands_in_for_a_story_is_refused_with_the_reason(tmp_path):
    lines = [
        {"title": "Are you a robot?", "body": "Why the check?\n\nPlease enable JavaScript and cookies to continue."},
        {"title": "Health pages", "body": "You are using an outdated browser. Please upgrade your browser to read."},
        {"title": "Flu shots for all", "body": "Flu shots for all"},
        {"title": "Flu shots for all, again", "body": "Subscribe to our weekly newsletter"},
        {"title": "Flu shots", "body": "Our Health Section"},
        {"title": "Flu shots now", "body": STORY, "url": "www.flu.example/shots"},  # no scheme: still an address
    ]
    path = tmp_path / "scraped.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with pytest.raises(CommandError):
        call_command("import_articles", str(path), stdout=(out := _Out()), stderr=(err := _Out()))
    messages = err.text
    assert "line 1: no story: the page is a bot check, browser notice or error page ('Are you a robot?')" in messages
    assert "line 2: no story: the page is a bot check" in messages
    assert "line 3: empty body (1 line removed as title repeated: 'Flu shots for all')" in messages
    assert "line 4: empty body (1 line removed as boilerplate: 'Subscribe to our weekly newsletter')" in messages
    assert f"line 5: no story: the body has 3 words ('Our Health Section'); a story has at least {MIN_STORY_WORDS}" in (
        messages
    )
    assert "1 imported" in out.text and "5 failed" in out.text
    assert Article.objects.get().source_url == "http://www.flu.example/shots"


def test_a_long_story_that_mentions_browsers_and_robots_is_kept():
    body = STORY + "\n\n" + " ".join(["Patients can book the injection with an online form in any modern browser."] * 8)
    body += "\n\nAre you a robot? asked the clinic's chatbot, which also answered questions about migraine."
    report = import_records(records({"title": "Migraine shot bookings open", "body": body}))
    assert report.counts["imported"] == 1, report.items


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text, *args, **kwargs):
        self.text += text

    def flush(self):
        pass
