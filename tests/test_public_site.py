"""The public pages of the site: conditions A–Z and along the MeSH tree, entity pages, the article page.

The world is searchkit's: real vocabulary entities (Ruxolitinib with its brands, Alopecia
and Alopecia Areata one level apart in MeSH, the FDA...) and articles written for the
tests, some of them drafts, withdrawn, syndicated copies or linked by a rejected link.
"""

import datetime
import re

import pytest
from django.urls import reverse

from articles import mesh, services
from articles.models import (
    AliasKind,
    ArticleDrug,
    ArticleStatus,
    ArticleTrial,
    DrugAlias,
    EntityRedirect,
    InstitutionAlias,
    LinkStatus,
    StudyType,
)

from .factories import ConditionFactory, DrugFactory, InstitutionFactory
from .searchkit import build_world, story
from .sitekit import HOSTILE, between, dated, get, head, listed, paths

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(load_vocabulary_subset):
    return build_world(load_vocabulary_subset)


def az_part(html):
    return between(html, '<section id="az"', "</section>\n  <section")


def tree_part(html):
    return between(html, '<section class="tree"', "</section>")


# --------------------------------------------------------------------------- /conditions/: A to Z


def test_a_to_z_links_only_letters_with_published_conditions(client, world):
    hidden = ConditionFactory(name="Zoster Draftitis")
    story("A draft about zoster", "Zoster.", status=ArticleStatus.DRAFT, links=[(hidden, {})])
    shunned = ConditionFactory(name="Yaws Rejectosis")
    story("An unrelated story", "Nothing about yaws.", links=[(shunned, {"status": LinkStatus.REJECTED})])
    story("Gene test", "A story.", links=[(ConditionFactory(name="22q11 Deletion Syndrome"), {})])
    story("Thalassemia", "A story.", links=[(ConditionFactory(name="beta-Thalassemia"), {})])

    html = az_part(get(client, "/conditions/")[1])
    for letter in "ABMO":
        assert f'<a href="?letter={letter}#az">{letter}</a>' in html
    for letter in "CZY":
        assert f'<span class="az-empty" title="None yet">{letter}</span>' in html
    assert '<a href="?letter=0-9#az">0-9</a>' in html
    assert "7 conditions with published articles." in html
    assert '<a href="/conditions/alopecia-areata/">Alopecia Areata</a> <span class="count">3</span>' in html
    assert "Zoster Draftitis" not in html and "Yaws Rejectosis" not in html


@pytest.mark.parametrize(
    ("letter", "shown", "not_shown"),
    [
        ("m", ["Myocardial Infarction"], ["Alopecia", "Obesity", "beta-Thalassemia"]),
        ("B", ["beta-Thalassemia"], ["Alopecia", "Myocardial Infarction"]),
        ("0-9", ["22q11 Deletion Syndrome"], ["Alopecia", "beta-Thalassemia"]),
        ("Q", [], ["Alopecia", "Obesity"]),
    ],
)
def test_a_to_z_letter_filters_the_list(client, world, letter, shown, not_shown):
    story("Gene test", "A story.", links=[(ConditionFactory(name="22q11 Deletion Syndrome"), {})])
    story("Thalassemia", "A story.", links=[(ConditionFactory(name="beta-Thalassemia"), {})])
    response, html = get(client, "/conditions/", letter=letter)
    assert response.status_code == 200
    listing = az_part(html).split('id="az-count"', 1)[1]
    for name in shown:
        assert f">{name}</a>" in listing
    for name in not_shown:
        assert f">{name}</a>" not in listing
    if not shown:
        assert f"No conditions with published articles under {letter} yet." in listing
    assert f'aria-current="page">{letter.upper()}</a>' in html or not shown
    assert head(html).title == f"Conditions: {letter.upper()} · NewsBase"


@pytest.mark.parametrize("letter", ["AB", "1", "%", "Ä", "a-z"])
def test_a_to_z_unknown_letter_is_404(client, world, letter):
    assert client.get("/conditions/", {"letter": letter}).status_code == 404
    assert client.get("/drugs/", {"letter": letter}).status_code == 404


def test_drug_and_institution_lists_are_a_to_z_of_those_with_articles(client, world):
    drugs = get(client, "/drugs/")[1]
    assert (
        '<a href="/drugs/ruxolitinib/">Ruxolitinib</a> <span class="count">3</span>' in drugs
    )  # not the rejected link
    assert "Deuruxolitinib" not in drugs  # loaded, no article
    assert '<a href="?letter=S#az">S</a>' in drugs and '<span class="az-empty" title="None yet">D</span>' in drugs
    institutions = get(client, "/institutions/", letter="C")[1]
    assert ">Columbia University</a>" in institutions and "Food and Drug" not in between(
        institutions, 'id="az-count"', "</section>"
    )


# --------------------------------------------------------------------------- /conditions/: the MeSH tree


def test_tree_shows_category_names_and_only_branches_with_published_articles(client, world):
    tumour = ConditionFactory(name="Testoma", tree_numbers=["C04.557.999"])
    story("Draft about a tumour", "Testoma.", status=ArticleStatus.DRAFT, links=[(tumour, {})])
    story("Rejected tumour link", "Not a tumour.", links=[(tumour, {"status": LinkStatus.REJECTED})])

    html = tree_part(get(client, "/conditions/")[1])
    # C17 has no descriptor in the vocabulary: its MeSH category name labels the branch.
    assert '<span class="node-name">Skin and Connective Tissue Diseases</span> <span class="count">4</span>' in html
    assert '<span class="node-name">Nutritional and Metabolic Diseases</span> <span class="count">1</span>' in html
    assert '<h3 class="tree-letter">Psychiatry and Psychology</h3>' in html  # Alzheimer's F03 place
    assert "Neoplasms" not in html and "Testoma" not in html
    assert (
        '<a href="/conditions/alopecia/">Alopecia</a> <span class="count">4</span></span>\n'
        '<ul><li><span class="node"><a href="/conditions/alopecia-areata/">Alopecia Areata</a> '
        '<span class="count">3</span>' in html
    )


def test_tree_counts_each_published_article_once_and_no_other(client, world):
    story("Both levels", "Alopecia and alopecia areata.", links=[(world.alopecia, {}), (world.areata, {})])
    story("Hidden", "A draft.", status=ArticleStatus.DRAFT, links=[(world.areata, {})])
    story("Withdrawn", "Gone.", status=ArticleStatus.WITHDRAWN, links=[(world.alopecia, {})])
    story("Wrong link", "Not about hair.", links=[(world.areata, {"status": LinkStatus.REJECTED})])

    letters = {letter: roots for letter, _, roots in mesh.browse_tree()}
    skin = next(node for node in letters["C"] if node.number == "C17")
    assert (skin.name, skin.slug, skin.url, skin.count) == ("Skin and Connective Tissue Diseases", "", "", 5)
    [alopecia] = skin.children
    assert (alopecia.name, alopecia.count) == ("Alopecia", 5)  # 4 before, +1 linked at both levels
    assert [(c.name, c.count) for c in alopecia.children] == [("Alopecia Areata", 4)]


def test_tree_lists_a_condition_once_under_a_branch_where_it_has_two_places(client, world):
    """Alzheimer Disease sits at C10.228.140.380.100 and C10.574.945.249; without the
    descriptors in between, both places hang under C10: one node, not two."""
    letters = {letter: roots for letter, _, roots in mesh.browse_tree()}
    nervous = next(node for node in letters["C"] if node.number == "C10")
    assert [(c.name, c.count) for c in nervous.children] == [("Alzheimer Disease", 1)]
    cardio = next(node for node in letters["C"] if node.number == "C14")
    assert [(c.name, c.count) for c in cardio.children] == [("Myocardial Infarction", 2)]
    html = tree_part(get(client, "/conditions/")[1])
    assert html.count('href="/conditions/alzheimer-disease/"') == 2  # under C10 and under F03


# --------------------------------------------------------------------------- /conditions/<slug>/


@pytest.fixture
def many_obesity_stories(world):
    """25 more published articles about obesity, older than the world's; newest first."""
    start = datetime.date(2024, 6, 30)
    return [
        dated(f"Obesity story {i}", start - datetime.timedelta(days=3 * i), links=[(world.obesity, {})])
        for i in range(25)
    ]


def test_entity_page_count_is_its_listed_articles_as_links_and_articles_change(client, world, django_user_model):
    """The unfiltered page takes its count from the entity's article count, not a count of the
    listing: the two must agree whatever happens to the articles and links behind them."""
    editor = django_user_model.objects.create(username="editor")
    url = world.rux.get_absolute_url()

    def shown():
        html = get(client, url)[1]
        count = re.search(r'<h2 id="entity-articles-h">Articles <span class="count">(\d+)</span>', html)
        return int(count.group(1)), listed(html)

    count, items = shown()
    assert count == len(items) == len(set(items)) >= 3
    assert world.draft_story.get_absolute_url() not in items and world.rejected_story.get_absolute_url() not in items
    services.change_status(article=world.cream_story, status=ArticleStatus.WITHDRAWN, by=editor)
    link = ArticleDrug.objects.get(article=world.jakafi_story, drug=world.rux)
    services.review_links(links=ArticleDrug.objects.filter(pk=link.pk), status=LinkStatus.REJECTED, by=editor)
    after, remaining = shown()
    assert after == len(remaining) == count - 2
    assert set(remaining) == set(items) - set(paths([world.cream_story, world.jakafi_story]))


def test_condition_articles_newest_first_and_paginated(client, world, many_obesity_stories):
    url = world.obesity.get_absolute_url()
    expected = paths([world.wegovy_story, *many_obesity_stories])
    first = get(client, url)[1]
    assert listed(first) == expected[:20]
    assert "Page 1 of 2" in first and 'rel="next" href="?page=2"' in first
    assert '<h2 id="entity-articles-h">Articles <span class="count">26</span></h2>' in first
    _, second = get(client, url, page=2)
    assert listed(second) == expected[20:]
    assert head(second).canonical == f"http://testserver{url}?page=2"
    assert client.get(url, {"page": 999}).status_code == 404
    assert client.get(url, {"page": "abc"}).status_code == 400


def test_condition_articles_filter_with_the_shared_filterset(client, world, many_obesity_stories):
    url = world.obesity.get_absolute_url()
    _, html = get(client, url, drug="semaglutide")
    assert listed(html) == [world.wegovy_story.get_absolute_url()]
    assert "Articles matching your filters" in html and "Drug: <strong>Semaglutide</strong>" in html
    _, html = get(client, url, published_after="2024-06-01", published_before="2024-06-30")
    assert listed(html) == paths(many_obesity_stories[:10])
    _, html = get(client, url, ordering="published")
    assert listed(html)[:2] == paths(many_obesity_stories[:-3:-1])
    _, html = get(client, url, q="Wegovy")
    assert listed(html) == [world.wegovy_story.get_absolute_url()]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"drug": "no-such-drug"}, "There is no drug with the slug “no-such-drug”"),
        ({"published_after": "yesterday"}, "Published on or after"),
        ({"year": "99999"}, "Year:"),
        ({"q": "x" * 400}, "Keep the search under 300 characters"),
        ({"narrower": "banana"}, "Narrower conditions: use narrower=0 for this condition only"),
        ({"ordering": "body"}, "Order:"),
    ],
)
def test_bad_filter_on_an_entity_page_is_a_400_with_a_message(client, world, params, message):
    response, html = get(client, world.alopecia.get_absolute_url(), **params)
    assert response.status_code == 400
    assert message in html.replace("&ldquo;", "“")
    assert "These filters could not be applied" in html
    assert '<a href="/conditions/alopecia/">Show all articles about Alopecia</a>' in html


def test_condition_parents_children_and_narrower_toggle(client, world):
    quiet = ConditionFactory(name="Alopecia Quietis", tree_numbers=["C17.800.329.937.122.500"])
    areata = get(client, world.areata.get_absolute_url())[1]
    broader = between(areata, '<h2 id="broader-h">', "</section>")
    assert "Alopecia</a> <span" in broader and 'title="articles in this branch">4</span>' in broader
    # The way down from the MeSH category, as a breadcrumb.
    assert (
        '<ol class="crumbs"><li>Skin and Connective Tissue Diseases</li><li><a href="/conditions/alopecia/">'
        'Alopecia</a></li><li aria-current="page">Alopecia Areata</li></ol>' in areata
    )

    alopecia = get(client, world.alopecia.get_absolute_url())[1]
    narrower = between(alopecia, '<h2 id="narrower-h">', "</section>")
    assert '<a href="/conditions/alopecia-areata/">Alopecia Areata</a> <span class="count"' in narrower
    assert 'title="articles in this branch">3</span>' in narrower
    assert f'No articles yet: <a href="{quiet.get_absolute_url()}">Alopecia Quietis</a>.' in narrower
    broader = between(alopecia, '<h2 id="broader-h">', "</section>")
    assert "Skin and Connective Tissue Diseases <span" in broader and ">4</span>" in broader
    assert "Pathological Conditions, Signs and Symptoms <span" in broader  # C23.300.035

    # The toggle: with its narrower conditions (the default, as search), or the condition alone.
    assert 'aria-current="page">With narrower conditions <span class="count">4</span>' in alopecia
    assert 'href="/conditions/alopecia/?narrower=0">Only Alopecia <span class="count">1</span>' in alopecia
    wide = alopecia
    assert listed(wide) == paths([world.copy_story, world.jakafi_story, world.olumiant_story, world.alopecia_story])
    assert "Articles about Alopecia and narrower conditions" in wide
    assert head(wide).canonical == "http://testserver/conditions/alopecia/"
    assert listed(get(client, world.alopecia.get_absolute_url(), narrower=1)[1]) == listed(wide)  # said explicitly
    response, only = get(client, world.alopecia.get_absolute_url(), narrower=0)
    assert response.status_code == 200
    assert listed(only) == [world.alopecia_story.get_absolute_url()]
    assert 'aria-current="page">Only Alopecia' in only
    # With narrower ones, the side lists count over all of them (Alopecia Areata is a mention now).
    assert "Conditions in these articles" in wide
    assert '<a href="/drugs/ruxolitinib/">Ruxolitinib</a> <a class="count" href="?drug=ruxolitinib"' in wide
    # Filtering within the wider set, or within the condition only, keeps the choice.
    _, html = get(client, world.alopecia.get_absolute_url(), drug="baricitinib")
    assert listed(html) == [world.olumiant_story.get_absolute_url()]
    assert 'name="narrower"' not in html
    _, html = get(client, world.alopecia.get_absolute_url(), narrower=0, drug="baricitinib")
    assert listed(html) == []
    assert '<input type="hidden" name="narrower" value="0">' in html


def test_condition_page_names_ids_and_co_mentions(client, world):
    html = get(client, world.areata.get_absolute_url())[1]
    assert "<strong>Also called:</strong> alopecia circumscripta" in html
    assert 'MeSH <a href="https://meshb.nlm.nih.gov/record/ui?ui=D000506" rel="external noopener">D000506</a>' in html
    assert '<span class="tree-number">C17.800.329.937.122.147</span>' in html
    drugs = between(html, 'id="mentions-drug-h"', "</section>")
    assert re.findall(r'<li><a href="([^"]+)">[^<]+</a> <a class="count" href="([^"]+)"[^>]*>(\d+)</a>', drugs) == [
        ("/drugs/ruxolitinib/", "?drug=ruxolitinib", "2"),
        ("/drugs/baricitinib/", "?drug=baricitinib", "1"),
    ]
    institutions = between(html, 'id="mentions-institution-h"', "</section>")
    assert "U.S. Food and Drug Administration</a>" in institutions and "Columbia University</a>" in institutions
    # A count link narrows the page to the articles it counts.
    narrowed = get(client, world.areata.get_absolute_url(), drug="ruxolitinib")[1]
    assert listed(narrowed) == paths([world.copy_story, world.jakafi_story])
    alopecia = get(client, world.alopecia.get_absolute_url())[1]
    also = between(alopecia, "<strong>Also called:</strong>", "</p>")
    assert "hair loss" in also and "baldness" in also and "alopecia, androgenetic" not in also


def test_other_names_lead_with_lay_terms_then_the_names_stories_use(client, world):
    drug = DrugFactory(name="Quetoxamab", aliases=["Aaron compound", "Zed compound", "Mid compound"])
    DrugAlias.objects.create(drug=drug, text="blue pill", kind=AliasKind.LAY)
    for day in range(3):
        story(
            f"Story {day}",
            f"Doctors tried zed compound on day {day}.",
            days_ago=day + 1,
            links=[(drug, {"text": "Zed compound"})],
        )
    story("Story mid", "Doctors tried Mid compound.", days_ago=9, links=[(drug, {"text": "Mid compound"})])
    html = get(client, drug.get_absolute_url())[1]
    assert between(html, "<strong>Also called:</strong>", "</p>").endswith(
        "blue pill, Zed compound, Mid compound, Aaron compound"
    )
    # The same order on the search page's entity card.
    card = between(get(client, reverse("articles:search"), q="Quetoxamab")[1], '<section class="cards"', "</section>")
    assert "blue pill, Zed compound, Mid compound, Aaron compound" in card


def test_also_called_shows_dotted_initials_once_in_the_plain_form(client, world):
    agency = InstitutionFactory(name="U.S. Quietude Agency")
    for text in ["QA", "Q.A.", "US Quietude Agency", "Quietude Agency"]:
        InstitutionAlias.objects.create(institution=agency, text=text)
    html = get(client, agency.get_absolute_url())[1]
    assert between(html, "<strong>Also called:</strong>", "</p>").endswith("</strong> QA, Quietude Agency")


def test_drug_page_brands_ids_conditions_articles_institutions(client, world):
    html = get(client, world.rux.get_absolute_url())[1]
    assert (
        '<strong>Brand names:</strong> <span class="brand-name">Jakafi</span>, <span class="brand-name">Jakavi</span>, '
        '<span class="brand-name">Opzelura</span>' in html
    )
    assert '<a href="https://go.drugbank.com/drugs/DB08877" rel="external noopener">DB08877</a>' in html
    assert '<a href="https://medlineplus.gov/druginfo/meds/a621053.html" rel="external noopener">a621053</a>' in html
    conditions = between(html, "Conditions it is reported for", "</section>")
    # Reported for: named with the drug in one sentence (tests/test_drug_reports.py), counted in stories.
    assert 'Alopecia Areata</a> <span class="count">2 stories</span>' in conditions
    institutions = between(html, "Institutions in these articles", "</section>")
    assert "Columbia University</a>" in institutions and 'aria-label="1 article: show them">1</a>' in institutions
    assert 'title="Show the 1 article that mentions Columbia University"' in institutions
    # Published articles with a visible link: not the draft, not the one whose link an editor rejected.
    assert listed(html) == paths([world.copy_story, world.jakafi_story, world.cream_story])
    assert '<span class="badge">syndicated copy</span>' in html


def test_institution_page_kind_aliases_articles_top_conditions_and_drugs(client, world):
    html = get(client, world.fda.get_absolute_url())[1]
    assert '<p class="kicker">Regulator · US</p>' in html
    assert "<strong>Also called:</strong> FDA, Food and Drug Administration" in html
    assert listed(html) == [world.olumiant_story.get_absolute_url()]
    assert "Alopecia Areata</a>" in between(html, "Top conditions", "</section>")
    assert "Baricitinib</a>" in between(html, "Top drugs", "</section>")


@pytest.mark.parametrize("kind", ["condition", "drug", "institution"])
def test_entity_without_articles_says_so(client, world, kind):
    factory = {"condition": ConditionFactory, "drug": DrugFactory, "institution": InstitutionFactory}[kind]
    entity = factory(name="Quietude")
    story("Draft", "Draft.", status=ArticleStatus.DRAFT, links=[(entity, {})])
    html = get(client, entity.get_absolute_url())[1]
    assert "Quietude — no articles yet." in html
    assert "No articles about Quietude yet." in html  # the timeline
    assert "<svg" not in html and listed(html) == []
    assert head(html).description.startswith("0 news articles")


def test_condition_without_its_own_articles_lists_its_narrower_ones(client, world):
    parent = ConditionFactory(name="Hairlessness", tree_numbers=["C17.800.329.937.500"])
    child = ConditionFactory(name="Patchy Hairlessness", tree_numbers=["C17.800.329.937.500.100"])
    patches = story("Patches", "Patchy hairlessness.", links=[(child, {})])
    html = get(client, parent.get_absolute_url())[1]
    assert listed(html) == [patches.get_absolute_url()]  # by default, as search does
    html = get(client, parent.get_absolute_url(), narrower=0)[1]
    link = f'<a href="{parent.get_absolute_url()}">1 about narrower conditions</a>'
    assert f"Hairlessness — no articles yet; {link}." in html


@pytest.mark.parametrize("kind", ["condition", "drug", "institution"])
def test_merged_away_slug_answers_301_to_the_survivor(client, world, kind):
    survivor = {"condition": world.areata, "drug": world.rux, "institution": world.columbia}[kind]
    EntityRedirect.objects.create(entity_type=kind, old_slug="merged-away", target_id=survivor.pk)
    prefix = {"condition": "conditions", "drug": "drugs", "institution": "institutions"}[kind]
    response = client.get(f"/{prefix}/merged-away/", {"page": "2"})
    assert response.status_code == 301
    assert response["Location"] == f"{survivor.get_absolute_url()}?page=2"
    assert client.get(f"/{prefix}/never-existed/").status_code == 404
    EntityRedirect.objects.create(entity_type=kind, old_slug="target-gone", target_id=10**9)
    assert client.get(f"/{prefix}/target-gone/").status_code == 404


# --------------------------------------------------------------------------- the timeline


def svgs(html):
    return re.findall(r"<svg\b.*?</svg>", html, re.S)


def test_timeline_bars_per_month_table_and_no_external_asset(client, world):
    topic = ConditionFactory(name="Timelinitis")
    for day in (datetime.date(2025, 3, 3), datetime.date(2025, 3, 20), datetime.date(2025, 5, 31)):
        dated(f"Timelinitis on {day}", day, links=[(topic, {})])
    dated("Hidden", datetime.date(2025, 4, 2), links=[(topic, {})], status=ArticleStatus.DRAFT)
    html = get(client, topic.get_absolute_url())[1]
    wide, narrow = svgs(html)
    for svg in (wide, narrow):
        assert 'role="img"' in svg
        assert "<title" in svg and ">Articles per month about Timelinitis</title>" in svg
        assert "<desc" in svg and "3 articles about Timelinitis from Mar 2025 to May 2025" in svg
        assert "the busiest month was Mar 2025 with 2" in svg
        assert re.findall(r'<rect class="bar"[^>]*><title>([^<]+)</title>', svg) == [
            "Mar 2025: 2 articles",
            "May 2025: 1 article",
        ]
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", svg)
        assert "<script" not in svg and "<image" not in svg and "<use" not in svg
    assert re.search(
        r'href="\?published_after=2025-03-01&amp;published_before=2025-03-31">March 2025</a></th><td>2<', html
    )
    assert "April 2025" not in html  # a month without articles has no row
    months = re.findall(r'<th scope="row"><a [^>]+>([A-Z][a-z]+ \d{4})</a>', html)
    assert months == ["May 2025", "March 2025"]  # newest first
    # The table's month link narrows the page to that month.
    march = get(client, topic.get_absolute_url(), published_after="2025-03-01", published_before="2025-03-31")[1]
    assert len(listed(march)) == 2


@pytest.mark.parametrize("which", ["areata", "rux", "fda"])
def test_every_entity_page_has_the_timeline(client, world, which):
    entity = getattr(world, which)
    html = get(client, entity.get_absolute_url())[1]
    wide, _ = svgs(html)
    bars = re.findall(r"<title>(\w{3} \d{4}): (\d+) articles?</title>", wide)
    assert sum(int(n) for _, n in bars) == entity.public_article_count()
    assert '<h2 id="timeline-h">Articles per month</h2>' in html


# --------------------------------------------------------------------------- the article page


def test_article_page_body_source_date_and_grouped_links(client, world):
    html = get(client, world.jakafi_story.get_absolute_url())[1]
    article = between(html, '<article class="article"', "</article>")
    assert '<h1 id="article-title">Jakafi regrows hair in people with alopecia areata</h1>' in article
    assert (
        '<div class="body"><p>Three people with alopecia areata regrew their hair on Jakafi, the bone-marrow drug.</p>'
        "<p>Researchers at Columbia University" in article
    )
    assert '<time datetime="2026-01-05T12:00:00+00:00">5 January 2026</time>' in article
    assert '<span class="source">Clinical Wire</span>' in article
    source_link = f'<a href="{world.jakafi_story.source_url}" rel="external nofollow noopener">'
    assert f"{source_link}Read the original story at Clinical Wire</a>" in article
    side = between(html, '<h2 id="links-h">', "</section>")
    groups = re.findall(r"<h3>(\w+)</h3><ul class=\"tags\">(.*?)</ul>", side)
    assert [name for name, _ in groups] == ["Conditions", "Drugs", "Institutions"]
    by_group = dict(groups)
    assert (
        by_group["Conditions"]
        == '<li><a class="tag condition" href="/conditions/alopecia-areata/">Alopecia Areata</a></li>'
    )
    assert by_group["Drugs"] == '<li><a class="tag drug" href="/drugs/ruxolitinib/">Ruxolitinib</a></li>'  # confirmed
    assert by_group["Institutions"] == (
        '<li><a class="tag institution" href="/institutions/columbia-university/">Columbia University</a> '
        '<span class="badge suggested">machine-suggested</span></li>'
    )
    assert "have not yet been checked by an editor" in side


def test_article_page_hides_rejected_links(client, world):
    html = get(client, world.rejected_story.get_absolute_url())[1]
    side = between(html, '<h2 id="links-h">', "</section>")
    assert "Ruxolitinib" not in side and "No condition, drug or institution is linked" in side
    assert "machine-suggested" not in side


def test_article_page_evidence_labels_and_caution_for_three_patients(client, world):
    article = world.jakafi_story
    article.study_type, article.participants = StudyType.CASE_SERIES, 3
    article.journal, article.doi = "Nature Medicine", "10.1038/nm.3645"
    article.save()
    ArticleTrial.objects.create(article=article, registry_id="NCT01950780")
    html = get(client, article.get_absolute_url())[1]
    evidence = between(html, '<aside class="evidence-box"', "</aside>")
    labels = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", evidence))
    assert labels["Study type"] == "Case series"
    assert labels["Participants"] == "3"
    assert labels["Journal"] == "Nature Medicine"
    assert (
        labels["Trial"]
        == '<a href="https://clinicaltrials.gov/study/NCT01950780" rel="external noopener">NCT01950780</a>'
    )
    assert labels["DOI"] == '<a href="https://doi.org/10.1038/nm.3645" rel="external noopener">10.1038/nm.3645</a>'
    assert '<p class="caution" role="note"><strong>Read with care:</strong> This describes 3 people treated' in evidence
    assert "without a comparison group" in evidence


def test_article_page_cautions_mice_and_not_a_large_trial(client, world):
    mice = world.cream_story
    mice.study_type = StudyType.ANIMAL
    mice.save()
    html = get(client, mice.get_absolute_url())[1]
    assert "Read with care:</strong> This was a study in animals, not people." in html
    trial = world.olumiant_story
    trial.study_type, trial.participants, trial.trial_phase = StudyType.RCT, 1200, 3
    trial.save()
    html = get(client, trial.get_absolute_url())[1]
    evidence = between(html, '<aside class="evidence-box"', "</aside>")
    assert "<dd>Randomised controlled trial, phase 3</dd>" in evidence and "<dd>1,200</dd>" in evidence
    assert 'class="caution' not in evidence
    # No evidence stated at all: no box.
    assert "evidence-box" not in get(client, world.heart_story.get_absolute_url())[1]


def test_article_page_copies_and_canonical(client, world):
    late_copy = story("Late copy", world.jakafi_story.body, days_ago=2, canonical=world.jakafi_story)
    story(
        "Withdrawn copy",
        world.jakafi_story.body,
        days_ago=3,
        canonical=world.jakafi_story,
        status=ArticleStatus.WITHDRAWN,
    )
    html = get(client, world.jakafi_story.get_absolute_url())[1]
    copies = between(html, '<h2 id="copies-h">Also published by</h2>', "</section>")
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', copies) == [
        (world.copy_story.get_absolute_url(), "Copy Desk"),
        (late_copy.get_absolute_url(), "The Health Ledger"),
    ]
    assert head(html).canonical == f"http://testserver{world.jakafi_story.get_absolute_url()}"

    copy_html = get(client, world.copy_story.get_absolute_url())[1]
    assert "A syndicated copy. First published by Clinical Wire" in copy_html
    assert head(copy_html).canonical == f"http://testserver{world.jakafi_story.get_absolute_url()}"
    assert f'content="http://testserver{world.jakafi_story.get_absolute_url()}"' in copy_html  # og:url


def test_related_articles_share_entities_but_are_not_the_same_story_or_unpublished(client, world):
    shared = story("Another ruxolitinib story", "Ruxolitinib again.", days_ago=40, links=[(world.rux, {})])
    story("Withdrawn ruxolitinib", "Gone.", status=ArticleStatus.WITHDRAWN, links=[(world.rux, {})])
    html = get(client, world.jakafi_story.get_absolute_url())[1]
    related = re.findall(r'<li><a href="([^"]+)">', between(html, '<h2 id="related-h">', "</section>"))
    # A shared drug weighs more than a shared condition; equals, newest first.
    assert related == paths([shared, world.cream_story, world.olumiant_story])
    html = get(client, world.copy_story.get_absolute_url())[1]
    related = re.findall(r'<li><a href="([^"]+)">', between(html, '<h2 id="related-h">', "</section>"))
    assert world.jakafi_story.get_absolute_url() not in related and related
    html = get(client, world.zelvitra_story.get_absolute_url())[1]
    assert "Related articles" not in html  # it has no links


def test_unpublished_article_is_404(client, world):
    for article in (world.draft_story, world.withdrawn_story):
        assert client.get(article.get_absolute_url()).status_code == 404


# --------------------------------------------------------------------------- <head>

HEADS = [
    ("home", lambda w: "/", "Medical news, linked", "Medical news linked to"),
    ("articles", lambda w: "/articles/", "Articles", "The latest medical news"),
    (
        "article",
        lambda w: w.jakafi_story.get_absolute_url(),
        "Jakafi regrows hair in people with alopecia areata",
        "A bone-marrow drug regrew hair in a small study.",
    ),
    ("conditions", lambda w: "/conditions/", "Conditions", "Health conditions in the news"),
    (
        "condition",
        lambda w: w.areata.get_absolute_url(),
        "Alopecia Areata: news",
        "3 news articles about Alopecia Areata (alopecia circumscripta), linked to the drugs and institutions "
        "they mention; MeSH D000506.",
    ),
    (
        "drug",
        lambda w: w.rux.get_absolute_url(),
        "Ruxolitinib: news",
        "3 news articles about Ruxolitinib (Jakafi, Jakavi, Opzelura), a JAK inhibitor, and the conditions",
    ),
    (
        "institution",
        lambda w: w.fda.get_absolute_url(),
        "U.S. Food and Drug Administration: news",
        "1 news article mentioning U.S. Food and Drug Administration (regulator)",
    ),
    ("drugs", lambda w: "/drugs/", "Drugs", "Drugs in the news, A to Z"),
    ("institutions", lambda w: "/institutions/", "Institutions", "Universities, hospitals, companies"),
]


@pytest.mark.parametrize(("name", "url", "title", "description"), HEADS, ids=[h[0] for h in HEADS])
def test_title_description_and_canonical(client, world, name, url, title, description):
    response, html = get(client, url(world), utm_source="newsletter")
    assert response.status_code == 200
    page = head(html)
    assert page.title == f"{title} · NewsBase"
    assert page.description.startswith(description)
    assert page.canonical == f"http://testserver{url(world)}"  # never the tracking parameter
    assert page.alternates["application/rss+xml"] == "/feed/" or name in {"condition", "drug", "institution"}


# --------------------------------------------------------------------------- HTML safety


def test_hostile_names_and_titles_are_escaped_on_every_page(client, world):
    condition = ConditionFactory(name=f"{HOSTILE} Syndrome", tree_numbers=["C17.800.329.937.122.999"])  # under Alopecia
    drug = DrugFactory(name=f"{HOSTILE}mab", aliases=[f"{HOSTILE} brand"])
    institution = InstitutionFactory(name=f"{HOSTILE} Institute")
    article = story(
        f"{HOSTILE} in the headline",
        f"{HOSTILE} in the body.",
        summary=f"{HOSTILE} in the summary.",
        author=HOSTILE,
        journal=HOSTILE,
        links=[(condition, {}), (drug, {"status": LinkStatus.SUGGESTED}), (institution, {}), (world.rux, {})],
    )
    pages = [
        "/",
        "/articles/",
        article.get_absolute_url(),
        world.jakafi_story.get_absolute_url(),  # related articles
        "/conditions/",
        condition.get_absolute_url(),
        f"{condition.get_absolute_url()}?narrower=1",
        world.alopecia.get_absolute_url(),
        drug.get_absolute_url(),
        world.rux.get_absolute_url(),
        institution.get_absolute_url(),
        "/drugs/",
        "/institutions/",
    ]
    for url in pages:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(" in html, url
