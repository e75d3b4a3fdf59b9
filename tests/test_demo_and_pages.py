"""load_demo and the public pages it fills: each page shows the right content."""

import io

import pytest
from django.core.management import CommandError, call_command

from articles import demo
from articles.models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleInstitution,
    ArticleStatus,
    Condition,
    Drug,
    Institution,
    StoryWord,
)

pytestmark = pytest.mark.django_db

RECORDS = demo.read()


@pytest.fixture
def demo_site(load_vocabulary_subset):
    """The vocabulary the demo names, then the demo articles, as `make run` does."""
    load_vocabulary_subset(
        drugs={n for r in RECORDS for n in r.get("drugs", [])},
        conditions={n for r in RECORDS for n in r.get("conditions", [])} | {"Alopecia"},
        institutions={n for r in RECORDS for n in r.get("institutions", [])},
    )
    out = io.StringIO()
    call_command("load_demo", stdout=out, stderr=out)
    return out.getvalue()


def published_records():
    return [r for r in RECORDS if r.get("status", "published") == "published"]


def test_demo_file_is_substantial_and_well_formed():
    published = published_records()
    assert len(published) >= 25
    slugs = [r["slug"] for r in RECORDS]
    assert len(slugs) == len(set(slugs))
    assert all(len(r["body"].split()) >= 150 for r in RECORDS)
    assert {r["status"] for r in RECORDS} >= {"published", "draft", "withdrawn"}
    assert any(r.get("copy_of") for r in RECORDS)


def test_load_demo_creates_linked_articles_and_is_idempotent(demo_site):
    assert "Not in the vocabulary" not in demo_site
    assert f"{len(RECORDS)} created" in demo_site
    assert Article.objects.published().count() == len(published_records())
    expected_links = sum(len(r.get(k, [])) for r in RECORDS for k in ("conditions", "drugs", "institutions"))
    linked = ArticleCondition.objects.count() + ArticleDrug.objects.count() + ArticleInstitution.objects.count()
    assert linked == expected_links
    # Links carry where the entity is mentioned.
    link = ArticleDrug.objects.filter(drug__name="Baricitinib").exclude(first_offset=None).first()
    assert link.article.body[link.first_offset :].lower().startswith(link.matched_text.lower())
    assert link.mention_count >= 1
    # Copies point at their original; drafts and withdrawn stories stay private.
    copies = [r for r in RECORDS if r.get("copy_of")]
    for record in copies:
        assert Article.objects.get(slug=record["slug"]).canonical.slug == record["copy_of"]
    assert not ArticleDrug.objects.public().filter(article__status=ArticleStatus.DRAFT).exists()
    # The typo lexicon holds the published stories' words, so a slip on one is corrected.
    assert StoryWord.objects.count() > 100
    assert "story words for typos" in demo_site

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert f"0 created, 0 updated, {len(RECORDS)} unchanged" in out.getvalue()
    assert ArticleDrug.objects.count() + ArticleCondition.objects.count() + ArticleInstitution.objects.count() == (
        expected_links
    )


def test_load_demo_needs_the_vocabulary():
    with pytest.raises(CommandError, match="load_vocabulary"):
        call_command("load_demo")


def test_home_shows_search_latest_and_top_entities(client, demo_site):
    response = client.get("/")
    html = response.content.decode()
    assert 'type="search"' in html and 'name="q"' in html
    newest = Article.objects.published().originals().order_by("-published").first()
    assert newest.title in html
    top_drug = Drug.objects.having_articles().with_article_count().order_by("-article_count", "name").first()
    assert top_drug.name in html and top_drug.get_absolute_url() in html
    assert "Top conditions" in html


def test_article_list_shows_published_only_with_pagination(client, demo_site):
    first = client.get("/articles/").content.decode()
    assert f"{len(published_records())} published articles" in first
    private = [r for r in RECORDS if r["status"] != "published"]
    for record in private:
        assert record["title"] not in first
    second = client.get("/articles/?page=2")
    assert second.status_code == 200
    assert client.get("/articles/?page=99").status_code == 404
    for nonsense in ("abc", "-1", "0", "1.5", "١"):
        response = client.get(f"/articles/?page={nonsense}")
        assert response.status_code == 400, nonsense
        assert b"page number is a whole number" in response.content


def test_article_detail_shows_body_links_and_evidence(client, demo_site):
    record = next(r for r in RECORDS if r.get("trial_ids") and r.get("journal"))
    html = client.get(f"/articles/{record['slug']}/").content.decode()
    first_paragraph = record["body"].split("\n\n")[0]
    assert first_paragraph.replace("'", "&#x27;").replace('"', "&quot;")[:80] in html
    for name in record.get("drugs", []) + record.get("conditions", []):
        entity = (Drug if name in record.get("drugs", []) else Condition).objects.get(name__iexact=name)
        assert entity.get_absolute_url() in html
    assert record["journal"] in html.replace("&#x27;", "'")
    assert record["trial_ids"][0] in html
    assert record["source"] in html


def test_private_articles_are_not_found(client, demo_site):
    for record in RECORDS:
        if record["status"] != "published":
            assert client.get(f"/articles/{record['slug']}/").status_code == 404


def test_copy_page_names_the_original_and_original_lists_copies(client, demo_site):
    record = next(r for r in RECORDS if r.get("copy_of"))
    copy_html = client.get(f"/articles/{record['slug']}/").content.decode()
    original = Article.objects.get(slug=record["copy_of"])
    assert original.get_absolute_url() in copy_html
    original_html = client.get(original.get_absolute_url()).content.decode()
    assert "Also published by" in original_html and record["source"] in original_html


def test_entity_pages_show_ids_aliases_and_articles(client, demo_site):
    drug = Drug.objects.get(name="Baricitinib")
    html = client.get(drug.get_absolute_url()).content.decode()
    assert drug.drugbank_id in html and "Olumiant" in html
    titles = [r["title"] for r in published_records() if "Baricitinib" in r.get("drugs", [])]
    assert titles and all(t.replace("'", "&#x27;") in html for t in titles[:5])

    condition = Condition.objects.get(name="Alopecia Areata")
    html = client.get(condition.get_absolute_url()).content.decode()
    assert condition.mesh_id in html and "C17.800.329.937.122.147" in html

    institution = Institution.objects.get(name="U.S. Food and Drug Administration")
    html = client.get(institution.get_absolute_url()).content.decode()
    assert "Regulator" in html and "FDA" in html

    unlinked = Condition.objects.get(name="Alopecia")
    html = client.get(unlinked.get_absolute_url()).content.decode()
    assert "Articles about Alopecia and narrower conditions" in html  # by default, as search
    html = client.get(unlinked.get_absolute_url(), {"narrower": "0"}).content.decode()
    assert "no articles yet" in html


def test_entity_lists_show_counts_of_published_articles(client, demo_site):
    html = client.get("/drugs/").content.decode()
    drug = Drug.objects.with_article_count().get(name="Baricitinib")
    assert f'{drug.get_absolute_url()}">Baricitinib</a> <span class="count">{drug.article_count}</span>' in html
    assert "Alopecia Areata" in client.get("/conditions/").content.decode()
    assert "Eli Lilly and Company" in client.get("/institutions/").content.decode()
    assert client.get("/drugs/not-a-drug/").status_code == 404


def test_error_pages_are_the_sites_own(client, db):
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert b"Page not found" in missing.content and b'role="search"' in missing.content
    bad = client.get("/conditions/", {"page": "x"})
    assert bad.status_code == 400 and b"a page number is a whole number from 1" in bad.content
    from django.template.loader import render_to_string

    broken = render_to_string("500.html")  # rendered without a request, as Django does
    assert "Something went wrong on our side" in broken and "http" not in broken
