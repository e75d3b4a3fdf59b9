"""Feeds (RSS and Atom), the sitemap, robots.txt and /healthz, read as a feed reader,
a crawler or a load balancer reads them: parsed, not grepped."""

import json
import re
from html import escape
from unittest import mock

import pytest
from django.db import DatabaseError, connections

from articles.models import Article, ArticleStatus, EntityRedirect, LinkStatus

from .factories import ConditionFactory
from .searchkit import build_world, story
from .sitekit import HOSTILE, feed, get, head, paths, xml

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def world(load_vocabulary_subset):
    return build_world(load_vocabulary_subset)


def rss_and_atom(url):
    return [(url, "application/rss+xml"), (f"{url}atom/", "application/atom+xml")]


# --------------------------------------------------------------------------- feeds


@pytest.mark.parametrize(("url", "content_type"), rss_and_atom("/feed/"))
def test_latest_feed_has_published_originals_newest_first(client, world, url, content_type):
    response = client.get(url)
    assert response["Content-Type"].startswith(content_type)
    title, items = feed(response)
    assert title == "NewsBase: latest medical news"
    expected = Article.objects.published().originals().order_by("-published")
    assert [path for _, path in items] == paths(expected)
    assert world.copy_story.get_absolute_url() not in dict(items).values()
    assert len(items) == 9  # not the copy, the draft or the withdrawn story
    assert items[0] == (world.zelvitra_story.title, world.zelvitra_story.get_absolute_url())


ENTITY_FEEDS = [
    ("rux", "/drugs/ruxolitinib/feed/", "Ruxolitinib", ["jakafi_story", "cream_story"]),
    ("areata", "/conditions/alopecia-areata/feed/", "Alopecia Areata", ["jakafi_story", "olumiant_story"]),
    ("alopecia", "/conditions/alopecia/feed/?narrower=0", "Alopecia", ["alopecia_story"]),
    (
        "alopecia",
        "/conditions/alopecia/feed/",
        "Alopecia and narrower conditions",
        ["jakafi_story", "olumiant_story", "alopecia_story"],
    ),
    ("columbia", "/institutions/columbia-university/feed/", "Columbia University", ["jakafi_story"]),
    (
        "fda",
        "/institutions/us-food-and-drug-administration/feed/",
        "U.S. Food and Drug Administration",
        ["olumiant_story"],
    ),
]


@pytest.mark.parametrize("atom", [False, True], ids=["rss", "atom"])
@pytest.mark.parametrize(("entity", "url", "name", "stories"), ENTITY_FEEDS, ids=[f[1] for f in ENTITY_FEEDS])
def test_entity_feed_has_its_published_originals_newest_first(client, world, atom, entity, url, name, stories):
    if atom:
        url = url.replace("/feed/", "/feed/atom/")
    response = client.get(url)
    assert response.status_code == 200
    title, items = feed(response)
    assert title == f"NewsBase: {name}"
    # Originals only (a copy is the same story again), never a draft, a withdrawn story or a rejected link.
    assert [path for _, path in items] == paths(getattr(world, s) for s in stories)
    root = xml(response)
    link = root.find("channel/link").text if not atom else root.find("{http://www.w3.org/2005/Atom}link").get("href")
    assert link.removeprefix("http://testserver") == getattr(world, entity).get_absolute_url() + (
        "?narrower=0" if "narrower" in url else ""
    )


def test_feed_titles_are_escaped_once_and_control_characters_dropped(client, world):
    title = 'Crohn\'s & colitis: <b>"bold"</b> claims\x0b\x1f'
    nasty = ConditionFactory(name=f"{HOSTILE}\x0c Fever")
    story(title, f"{HOSTILE} body\x0b.", summary=f"{HOSTILE} summary\x08.", author="A\x01B", links=[(nasty, {})])
    clean = title.replace("\x0b", "").replace("\x1f", "")
    for url in ("/feed/", nasty.get_absolute_url() + "feed/"):
        response = client.get(url)
        assert response.status_code == 200
        _, items = feed(response)
        # RSS item titles are HTML to feed readers (as Django's own default): escaped once.
        assert items[0][0] == escape(clean)
        assert "<script" not in response.content.decode()
        _, items = feed(client.get(url.replace("feed/", "feed/atom/")))
        # An Atom title is a text construct: the text itself, which the XML writer escapes.
        assert items[0][0] == clean
    channel, _ = feed(client.get(nasty.get_absolute_url() + "feed/"))
    assert channel == f"NewsBase: {HOSTILE} Fever"


@pytest.mark.parametrize("kind", ["condition", "drug", "institution"])
def test_merged_slug_feed_answers_301_and_bad_input_400_or_404(client, world, kind):
    survivor = {"condition": world.alopecia, "drug": world.rux, "institution": world.fda}[kind]
    EntityRedirect.objects.create(entity_type=kind, old_slug="merged-away", target_id=survivor.pk)
    prefix = survivor.get_absolute_url().split("/")[1]
    response = client.get(f"/{prefix}/merged-away/feed/atom/")
    assert response.status_code == 301
    assert response["Location"] == f"{survivor.get_absolute_url()}feed/atom/"
    response = client.get(f"/{prefix}/merged-away/feed/", {"narrower": "1"})
    assert response["Location"] == f"{survivor.get_absolute_url()}feed/?narrower=1"
    assert client.get(f"/{prefix}/no-such-thing/feed/").status_code == 404
    response = client.get(f"{survivor.get_absolute_url()}feed/", {"narrower": "banana"})
    assert response.status_code == 400 and b"narrower is 1" in response.content


def test_pages_name_their_feeds_in_the_head(client, world):
    for entity in (world.areata, world.rux, world.fda):
        alternates = head(get(client, entity.get_absolute_url())[1]).alternates
        assert alternates == {
            "application/rss+xml": f"{entity.get_absolute_url()}feed/",
            "application/atom+xml": f"{entity.get_absolute_url()}feed/atom/",
        }
    alternates = head(get(client, world.alopecia.get_absolute_url(), narrower=0)[1]).alternates
    assert alternates["application/rss+xml"] == "/conditions/alopecia/feed/?narrower=0"
    assert head(get(client, "/")[1]).alternates == {
        "application/rss+xml": "/feed/",
        "application/atom+xml": "/feed/atom/",
    }
    # Every feed named in a head answers with XML.
    for url in ("/conditions/alopecia/feed/?narrower=0", "/feed/atom/", f"{world.fda.get_absolute_url()}feed/atom/"):
        assert feed(client.get(url))[1]


# --------------------------------------------------------------------------- sitemap and robots.txt


def locations(response):
    assert response.status_code == 200
    root = xml(response)
    return [loc.text.removeprefix("http://testserver") for loc in root.iter(f"{SITEMAP}loc")]


def test_sitemap_lists_published_originals_and_entities_that_have_them(client, world):
    quiet = ConditionFactory(name="Draft-only condition")
    story("Draft", "Draft.", status=ArticleStatus.DRAFT, links=[(quiet, {})])
    story("Rejected", "Unrelated.", links=[(ConditionFactory(name="Rejected only"), {"status": LinkStatus.REJECTED})])
    assert locations(client.get("/sitemap.xml")) == [
        f"/sitemap-{section}.xml"
        for section in ("pages", "articles", "conditions", "drugs", "institutions", "drug-classes")
    ]
    articles = locations(client.get("/sitemap-articles.xml"))
    assert sorted(articles) == sorted(paths(Article.objects.published().originals()))
    for private in (world.copy_story, world.draft_story, world.withdrawn_story):
        assert private.get_absolute_url() not in articles
    assert sorted(locations(client.get("/sitemap-conditions.xml"))) == sorted(
        f"/conditions/{slug}/"
        for slug in ("alopecia", "alopecia-areata", "alzheimer-disease", "myocardial-infarction", "obesity")
    )
    drugs = sorted(locations(client.get("/sitemap-drugs.xml")))
    assert drugs == ["/drugs/baricitinib/", "/drugs/ruxolitinib/", "/drugs/semaglutide/"]
    assert sorted(locations(client.get("/sitemap-institutions.xml"))) == [
        "/institutions/columbia-university/",  # a machine-suggested link is public
        "/institutions/us-food-and-drug-administration/",
    ]
    assert locations(client.get("/sitemap-pages.xml")) == [
        "/",
        "/articles/",
        "/conditions/",
        "/drugs/",
        "/drug-classes/",
        "/institutions/",
    ]


def test_sitemap_entity_lastmod_is_its_newest_article(client, world):
    root = xml(client.get("/sitemap-drugs.xml"))
    lastmod = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in root.iter(f"{SITEMAP}url")}
    assert lastmod["http://testserver/drugs/ruxolitinib/"] == world.copy_story.published.date().isoformat()
    assert lastmod["http://testserver/drugs/baricitinib/"] == world.olumiant_story.published.date().isoformat()


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Sitemap: http://testserver/sitemap.xml",
    ]


# --------------------------------------------------------------------------- /healthz


def test_healthz_answers_200_json_with_a_working_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_healthz_answers_503_when_the_database_fails(client, caplog):
    # The check runs in a probe thread with its own connection: patch every connection's cursor.
    with mock.patch.object(type(connections["default"]), "cursor", side_effect=DatabaseError("connection refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "error", "database": "unavailable"}
    assert re.search(r"Database unavailable \(DatabaseError: connection refused\)", caplog.text)
