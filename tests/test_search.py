"""The search service: entity resolution, typos, retrieval, ranking, snippets, why, facets.

Runs on SQLite and on PostgreSQL (see Makefile); every assertion holds on both.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from articles import services
from articles.models import (
    AliasKind,
    ArticleDrugClass,
    DrugClass,
    DrugClassAlias,
    DrugClassMember,
    FacetSnapshot,
    LinkStatus,
)
from articles.search import facets, fulltext, ranking, retrieval
from articles.search.query import parse
from articles.search.resolve import correct_typos, resolve
from articles.search.service import build_plan, search

from .factories import ConditionFactory
from .searchkit import NOW, build_world, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(load_vocabulary_subset):
    return build_world(load_vocabulary_subset)


def slugs(result):
    return [hit.article.slug for hit in result.hits]


def names(resolution):
    return [(m.entity.kind, m.entity.name) for m in resolution.matches]


# --------------------------------------------------------------------------- resolution


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Jakafi", [("drug", "Ruxolitinib")]),
        ("jakafi", [("drug", "Ruxolitinib")]),
        ("JAKAFI", [("drug", "Ruxolitinib")]),
        ("Olumiant", [("drug", "Baricitinib")]),
        ("hair loss", [("condition", "Alopecia")]),
        ("heart attack", [("condition", "Myocardial Infarction")]),
        ("Alzheimer's", [("condition", "Alzheimer Disease")]),
        ("alzheimer’s disease", [("condition", "Alzheimer Disease")]),
        ("jakafi alopecia", [("drug", "Ruxolitinib"), ("condition", "Alopecia")]),
        ("jakafi alopecia areata", [("drug", "Ruxolitinib"), ("condition", "Alopecia Areata")]),
        ("Columbia University", [("institution", "Columbia University")]),
    ],
)
def test_names_resolve_to_entities_exactly(world, query, expected):
    resolution = resolve(parse(query))
    assert names(resolution) == expected
    assert resolution.words == []


def test_a_name_typed_twice_is_one_group_and_other_words_stay_text(world):
    resolution = resolve(parse("baricitinib olumiant trial results"))
    assert names(resolution) == [("drug", "Baricitinib")]
    assert resolution.words == ["trial", "results"]


def test_brand_match_keeps_how_it_was_named(world):
    (match,) = resolve(parse("JAKAFI")).matches
    assert match.is_brand and match.alias == "Jakafi" and match.typed == "JAKAFI"


@pytest.mark.parametrize(
    ("typo", "drug"), [("ruxolitnib", "Ruxolitinib"), ("semaglutde", "Semaglutide"), ("baricitnib", "Baricitinib")]
)
def test_typos_are_corrected_with_confidence(world, typo, drug):
    query = parse(typo)
    corrected = correct_typos(query, resolve(query))
    assert corrected.corrected
    assert names(corrected) == [("drug", drug)]
    assert corrected.suggestion == drug.lower()
    assert corrected.matches[0].fuzzy


def test_typo_in_one_part_of_a_query(world):
    query = parse("Jakafi alopeca areata")
    corrected = correct_typos(query, resolve(query))
    assert names(corrected) == [("drug", "Ruxolitinib"), ("condition", "Alopecia Areata")]
    assert corrected.suggestion == "Jakafi alopecia areata"


def test_a_distant_word_is_not_corrected(world):
    query = parse("xylophone")
    assert correct_typos(query, resolve(query)) is None


# --------------------------------------------------------------------------- retrieval and ranking


def test_brand_search_finds_the_drugs_articles_best_first_copy_after_original(world):
    result = search("Jakafi", now=NOW)
    assert result.count == 3
    assert slugs(result) == [world.jakafi_story.slug, world.cream_story.slug, world.copy_story.slug]
    assert [card.entity for card in result.cards] == [world.rux]


def test_only_published_articles_and_never_rejected_links(world):
    found = {hit.article.pk for hit in search("ruxolitinib", now=NOW).hits}
    assert world.draft_story.pk not in found
    assert world.rejected_story.pk not in found
    assert world.withdrawn_story.pk not in {hit.article.pk for hit in search("semaglutide", now=NOW).hits}
    assert search("ruxolitinib").cards[0].article_count == 3


def test_typo_search_uses_the_correction_and_says_so(world):
    result = search("ruxolitnib", now=NOW)
    assert result.corrected and result.suggestion == "ruxolitinib"
    assert result.count == 3
    assert "you searched “ruxolitnib”; the closest name is Ruxolitinib" in result.hits[0].why


def test_condition_search_includes_narrower_conditions_and_states_it(world):
    result = search("hair loss", now=NOW)
    found = set(slugs(result))
    assert {world.alopecia_story.slug, world.jakafi_story.slug, world.olumiant_story.slug} <= found
    (card,) = result.cards
    assert card.entity == world.alopecia and world.areata.name in [name for _, name, _ in card.narrower]
    olumiant = next(h for h in result.hits if h.article == world.olumiant_story)
    assert "a narrower condition under Alopecia" in olumiant.why
    assert "you searched hair loss, another name for Alopecia" in olumiant.why


def test_two_parts_rank_stories_matching_both_first_then_partial_ones_saying_what_they_lack(world):
    result = search("jakafi alopecia areata", now=NOW)
    found = slugs(result)
    assert set(found[:2]) == {world.jakafi_story.slug, world.copy_story.slug}
    assert world.olumiant_story.slug in found and world.cream_story.slug in found
    assert [h.missing for h in result.hits[:2]] == [[], []]
    olumiant = next(h for h in result.hits if h.article == world.olumiant_story)
    assert olumiant.missing == ["jakafi"]
    partial = search("jakafi heart attack", now=NOW)
    assert partial.count > 0 and "No article matches all of" in partial.notes[0]
    assert all(h.missing for h in partial.hits)


def test_other_words_lift_entity_results_and_never_exclude_them(world):
    result = search("ruxolitinib vitiligo", now=NOW)
    assert slugs(result)[0] == world.cream_story.slug and result.count == 3
    assert "matches the words “vitiligo”" in result.hits[0].why.lower()
    assert search("ruxolitinib xylophone", now=NOW).count == 3


def test_a_word_most_stories_hold_lifts_nothing_and_a_rare_word_lifts(world):
    # "gizmo" is in more than half the stories (as "help" or "new" are in health news); "quokka"
    # in one. Beside a name, only the rare word reorders the name's results.
    weak = story(
        "Quokka gizmo tips",
        "Gizmo owners had a heart attack once.",
        days_ago=1,
        links=[(world.mi, {"status": LinkStatus.SUGGESTED, "confidence": 0.5, "in_title": False, "mention_count": 1})],
    )
    for number in range(2 * retrieval.Article.objects.count()):
        story(f"Gizmo digest {number}", "A gizmo a day.", days_ago=3)
    common = search("gizmo heart attack", now=NOW)
    assert slugs(common)[0] == world.heart_story.slug and weak.slug in slugs(common)
    assert slugs(search("quokka heart attack", now=NOW))[0] == weak.slug


def test_a_story_saying_the_name_without_the_link_is_found_below_linked_ones(world):
    unlinked = story("Care after a heart attack", "After a heart attack, rehab helps.", days_ago=1)
    result = search("heart attack", now=NOW)
    order = slugs(result)
    assert unlinked.slug in order
    assert order.index(world.heart_story.slug) < order.index(unlinked.slug)
    hit = next(h for h in result.hits if h.article == unlinked)
    assert "matches the words “heart attack”" in hit.why.lower() and "mentions" not in hit.why


def test_a_words_only_query_matches_its_rare_words_and_its_common_ones_only_lift(world):
    """ "really" and "work" are in a fair share of the stories (not most), "quokka" in two: the
    story about quokkas comes before one naming them in passing beside "really" and "work",
    and stories holding only the common words are not results at all."""
    about = story("Quokka care", "Quokka keepers met. Quokka numbers rose.", days_ago=40)
    passing = story("Zoo notes", "The zoo reopened. " * 8 + "It really was seen at work: a quokka.", days_ago=1)
    others = retrieval.Article.objects.count()
    for number in range(others // 3 + 2):
        story(f"Notes {number}", "Does the plan really work at work?", days_ago=2)
    result = search("does quokka really work", now=NOW)
    order = slugs(result)
    assert order[:2] == [about.slug, passing.slug] and result.count == 2


def test_words_only_query_falls_back_to_stories_holding_some_words(world):
    result = search("zelvitra pharmacies quasar", now=NOW)
    assert slugs(result) == [world.zelvitra_story.slug]
    assert result.hits[0].missing == ["quasar"]


def test_why_says_linked_by_an_editor_when_the_text_never_names_it(world):
    curated = story(
        "A diet story",
        "People ate less and walked more.",
        days_ago=2,
        links=[(world.obesity, {"mention_count": 0, "in_title": False})],
    )
    hit = next(h for h in search("obesity", now=NOW).hits if h.article == curated)
    assert "linked to obesity by an editor" in hit.why.lower() and "mentions Obesity" not in hit.why


def test_a_word_some_story_holds_is_never_corrected(world):
    story("Recovery after surgery", "Recovery takes weeks; a pill may help the recovery.", days_ago=2)
    result = search("recovery pill", now=NOW)
    assert result.suggestion is None and not result.corrected
    assert result.count >= 1


def test_a_name_the_vocabulary_lacks_is_found_by_full_text(world):
    result = search("Zelvitra", now=NOW)
    assert slugs(result) == [world.zelvitra_story.slug]
    assert result.cards == []
    assert "Zelvitra" in str(result.hits[0].snippet)


def test_entity_with_no_articles_still_gets_a_card(world, load_vocabulary_subset):
    load_vocabulary_subset(drugs=["Tirzepatide"])
    result = search("Mounjaro", now=NOW)
    assert result.count == 0
    (card,) = result.cards
    assert card.entity.name == "Tirzepatide" and card.article_count == 0


def test_ranking_confirmed_title_mention_beats_machine_suggested_mention(world):
    strong = story("Ruxolitinib approved", "Ruxolitinib was approved.", days_ago=50, links=[(world.rux, {})])
    weak = story(
        "Drug news roundup",
        "Among other drugs, ruxolitinib was mentioned once.",
        days_ago=50,
        links=[(world.rux, {"status": LinkStatus.SUGGESTED, "confidence": 0.6})],
    )
    order = slugs(search("ruxolitinib", now=NOW, page_size=100))
    assert order.index(strong.slug) < order.index(weak.slug)


def test_ranking_newer_beats_older_when_links_are_equal(world):
    older = story("Semaglutide study one", "semaglutide", days_ago=700, links=[(world.sema, {})])
    newer = story("Semaglutide study two", "semaglutide", days_ago=7, links=[(world.sema, {})])
    order = slugs(search("semaglutide", now=NOW))
    assert order.index(newer.slug) < order.index(older.slug)


def test_names_matched_in_the_text_alone_rank_by_the_text_not_only_by_date(world):
    """A name with no links (the linker left it alone, or no editor checked it yet) still
    ranks its stories as the text uses it: in the title and often above once in passing,
    even when the passing mention is newer. Linked stories stay above both."""
    about = story("Semaglutide study finds benefit", "Semaglutide helped. " * 4, days_ago=600)
    passing = story("Diabetes roundup", "A long story that names semaglutide once among many drugs.", days_ago=3)
    linked = story("A weekly shot", "The weekly shot.", days_ago=400, links=[(world.sema, {})])
    order = slugs(search("semaglutide", now=NOW, page_size=100))
    assert order.index(linked.slug) < order.index(about.slug) < order.index(passing.slug)
    # The count statement says which of its first results matched by their text alone.
    found = retrieval.counts(build_plan(resolve(parse("semaglutide")), now=NOW), top=(100, "score DESC"))
    assert {about.pk, passing.pk} <= found.unlinked and linked.pk not in found.unlinked
    assert found.unlinked <= {article_id for article_id, _ in found.top}


def test_a_name_with_more_links_than_the_cap_is_not_looked_up_in_the_text_alone(world, monkeypatch):
    """One concept whose links are cut at LINK_CAP has more linked stories than a page shows
    ranked above any text-only one: its text is not searched (at a million stories that cost
    up to a second). Beside another concept it still is: a story may lack one link of two."""
    text_only = story("Semaglutide study finds benefit", "Semaglutide helped patients with obesity.", days_ago=6)
    for n in range(3):
        story(f"A weekly shot {n}", "The weekly shot.", days_ago=10 + n, links=[(world.sema, {})])
    assert text_only.slug in slugs(search("semaglutide", now=NOW, page_size=100))
    monkeypatch.setattr(retrieval, "LINK_CAP", 2)
    caches["search"].clear()  # a work cap is not part of a cached answer's key
    capped = search("semaglutide", now=NOW, page_size=100)
    assert text_only.slug not in slugs(capped) and capped.count_capped and len(capped.hits) == 2
    both = search("semaglutide obesity", now=NOW, page_size=100)
    assert text_only.slug in slugs(both)


def test_the_index_size_is_counted_and_read_from_the_planner_for_a_large_postgresql_index(world, monkeypatch):
    def documents():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {fulltext.indexed_documents_sql()}")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {fulltext.INDEX}")  # noqa: S608 - a constant table name
        exact = cursor.fetchone()[0]
    assert exact > 5 and documents() == exact
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {fulltext.INDEX}")  # the planner's row count: exact, for now
            cursor.execute(f"DELETE FROM {fulltext.INDEX} WHERE id = (SELECT MIN(id) FROM {fulltext.INDEX})")  # noqa: S608
        monkeypatch.setattr(fulltext, "ESTIMATE_FROM", 1)
        assert documents() == exact  # the estimate, not a count (exact - 1)


def test_ranking_text_rank_prefers_the_name_that_was_typed(world):
    # Each link records the name its story uses, as the linker does (both in the lead).
    brand_link, generic_link = [(world.rux, {"text": "Jakafi"})], [(world.rux, {})]
    says_brand = story("A bone-marrow drug", "Patients took Jakafi daily.", days_ago=100, links=brand_link)
    says_generic = story("A bone-marrow drug", "Patients took ruxolitinib daily.", days_ago=100, links=generic_link)
    brand_order = slugs(search("Jakafi", now=NOW))
    generic_order = slugs(search("ruxolitinib", now=NOW))
    assert brand_order.index(says_brand.slug) < brand_order.index(says_generic.slug)
    assert generic_order.index(says_generic.slug) < generic_order.index(says_brand.slug)


@pytest.mark.parametrize("bm25_max", [fulltext.BM25_MAX_DOCUMENTS, 0])  # SQLite: bm25, then the text scored
def test_text_rank_reads_only_the_candidates_title_first_then_more_mentions(world, monkeypatch, bm25_max):
    """Both databases, both SQLite paths: a word in the title counts most, then how often the
    text says it; an article without it ranks 0. Only the given articles are ranked."""
    monkeypatch.setattr(fulltext, "BM25_MAX_DOCUMENTS", bm25_max)
    in_title = story("Jakafi for hair loss", "Patients took Jakafi.", days_ago=30)
    often = story("A drug for hair loss", "Jakafi here, Jakafi there: Jakafi daily.", days_ago=30)
    once = story("A drug for hair loss", "Patients took Jakafi.", days_ago=30)
    never = story("A drug for hair loss", "Patients took something else.", days_ago=30)
    elsewhere = story("Jakafi elsewhere", "Jakafi, Jakafi, Jakafi.", days_ago=30)
    ids = [in_title.pk, often.pk, once.pk, never.pk]
    with CaptureQueriesContext(connection) as captured:
        ranks = fulltext.rank(["jakafi"], ids)
    assert len(captured) == (1 if connection.vendor == "postgresql" else 2) and elsewhere.pk not in ranks
    assert ranks[in_title.pk] > ranks[often.pk] > ranks[once.pk] > ranks.get(never.pk, 0.0) == 0.0


def test_sqlite_text_rank_counts_a_phrase_where_its_words_are_in_order():
    ranks = fulltext._rank_texts(["blood test"], {1: ("", "A blood test."), 2: ("", "A test of blood."), 3: ("", "")})
    assert ranks[1] > 0 and ranks[2] == ranks[3] == 0.0


def test_sqlite_text_rank_matches_whole_words_as_the_index_folds_them():
    ranks = fulltext._rank_texts(
        ["sjogren", "dry"],
        {
            1: ("", "Sjögren’s syndrome and a dry mouth."),
            2: ("", "Sjogrens syndrome; dryness; SJOGREN-like"),
            4: ("", "A dry, dry mouth."),
            5: ("", "A dry mouth, dry."),
            3: ("", "Nothing about it."),
        },
    )
    assert ranks[1] > ranks[2] > ranks[3] == 0.0  # 1: "Sjögren", "dry"; 2: only "SJOGREN" ("-like" is apart)
    assert ranks[4] == ranks[5] > 0.0  # a word said twice in a row counts twice


def test_ranking_exact_condition_beats_narrower_one(world):
    exact = story("Hair loss explained", "alopecia", days_ago=40, links=[(world.alopecia, {"in_title": False})])
    narrower = story("Patchy hair loss explained", "alopecia areata", days_ago=40, links=[(world.areata, {})])
    order = slugs(search("alopecia", now=NOW, page_size=50))
    assert order.index(exact.slug) < order.index(narrower.slug)


def test_newest_first_ordering(world):
    result = search("ruxolitinib", now=NOW, ordering="newest")
    dates = [hit.article.published for hit in result.hits]
    assert dates == sorted(dates, reverse=True)


# --------------------------------------------------------------------------- snippets and why


def test_why_explains_brand_names_and_mentions(world):
    hit = search("Jakafi", now=NOW).hits[0]
    assert hit.why.startswith("Mentions Ruxolitinib in the title and 4 times in the text")
    assert "(you searched Jakafi, a brand name of Ruxolitinib)" in hit.why


def test_why_marks_machine_suggested_links_and_copies(world):
    result = search("ruxolitinib", now=NOW)
    cream = next(h for h in result.hits if h.article == world.cream_story)
    assert "suggested by machine" in cream.why
    copy = next(h for h in result.hits if h.article == world.copy_story)
    assert "syndicated copy of “Jakafi regrows hair" in copy.why and "Clinical Wire" in copy.why


def test_snippet_highlights_the_matched_names_in_context(world):
    hit = search("hair loss", now=NOW).hits
    alopecia = next(h for h in hit if h.article == world.alopecia_story)
    assert "<mark>Alopecia</mark>" in str(alopecia.snippet)
    assert "<mark>hair loss</mark>" in str(alopecia.snippet)
    heart = search("heart attack", now=NOW).hits[0]
    assert "<mark>heart attack</mark>" in str(heart.snippet)
    alz = search("Alzheimer's", now=NOW).hits[0]
    assert "<mark>Alzheimer’s disease</mark>" in str(alz.snippet)


def test_snippets_and_titles_escape_hostile_text(world):
    hostile = story(
        '<script>alert("t")</script> Ruxolitinib <b>news</b>',
        'Ruxolitinib & friends: <img src=x onerror="alert(1)"> "quoted" <script>alert(2)</script> ruxolitinib',
        days_ago=0,
        links=[(world.rux, {"in_title": True})],
    )
    hit = next(h for h in search("ruxolitinib", now=NOW).hits if h.article == hostile)
    for html in (str(hit.snippet), str(hit.title_html)):
        assert "<script>" not in html and "<img" not in html and "<b>" not in html
        assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in str(hit.snippet)
    assert "<mark>Ruxolitinib</mark> &amp; friends" in str(hit.snippet)
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; <mark>Ruxolitinib</mark>" in str(hit.title_html)


# --------------------------------------------------------------------------- facets


def test_facets_count_the_whole_result_set_not_the_page(world):
    for day in range(25):
        links = [(world.rux, {}), (world.obesity, {})]
        story(f"Ruxolitinib note {day}", "ruxolitinib", days_ago=200 + day, links=links)
    result = search("ruxolitinib", now=NOW, page_size=5)
    assert result.count == 28 and len(result.hits) == 5
    conditions = {f.label: f.count for f in result.facets["condition"]}
    assert conditions == {"Obesity": 25, "Alopecia Areata": 2}
    sources = {f.label: f.count for f in result.facets["source"]}
    assert sources["The Health Ledger"] == 26 and sources["Clinical Wire"] == 1 and sources["Copy Desk"] == 1
    assert sum(f.count for f in result.facets["year"]) == 28
    institutions = {f.label: f.count for f in result.facets["institution"]}
    assert institutions == {"Columbia University": 1}


def test_facet_filters_narrow_through_links(world):
    result = search("alopecia areata", filters={"drug": world.bari}, now=NOW)
    assert slugs(result) == [world.olumiant_story.slug]
    result = search("", filters={"source": world.wire, "year": 2025}, now=NOW)
    assert {h.article.source for h in result.hits} == {world.wire}
    result = search("ruxolitinib", filters={"institution": world.columbia}, now=NOW)
    assert slugs(result) == [world.jakafi_story.slug]


def test_precomputed_facets_are_used_while_fresh_and_dropped_when_stale(world, monkeypatch):
    live = search("ruxolitinib", now=NOW)
    report = facets.refresh_snapshots(min_articles=2)
    assert report.snapshots >= 1
    assert FacetSnapshot.objects.filter(kind="drug", entity_id=world.rux.pk, narrower=False).exists()
    cached = search("ruxolitinib", now=NOW)
    assert cached.facets_as_of is not None and live.facets_as_of is None
    assert {k: [(f.label, f.count) for f in v] for k, v in cached.facets.items()} == {
        k: [(f.label, f.count) for f in v] for k, v in live.facets.items()
    }
    monkeypatch.setattr(ranking, "SNAPSHOT_DRIFT_MIN", 0)
    story("One more ruxolitinib story", "ruxolitinib", links=[(world.rux, {}), (world.mi, {})])
    recounted = search("ruxolitinib", now=NOW)
    assert recounted.facets_as_of is None
    assert {f.label: f.count for f in recounted.facets["condition"]}["Myocardial Infarction"] == 1


def test_narrower_conditions_of_several_conditions_are_capped_each_not_together(monkeypatch):
    """The facet refresh asks for the narrower conditions of every large condition at once: a
    condition early in the tree with many narrower ones must not use up the others' share."""
    monkeypatch.setattr(retrieval, "MAX_NARROWER", 2)
    big = ConditionFactory(name="Big", tree_numbers=["C01.100"])
    for index in range(5):
        ConditionFactory(name=f"Big kind {index}", tree_numbers=[f"C01.100.{index:03d}"])
    late = ConditionFactory(name="Late", tree_numbers=["C14.280"])
    child = ConditionFactory(name="Late kind", tree_numbers=["C14.280.067"])
    narrower = retrieval.narrower_conditions([big.pk, late.pk])
    assert len(narrower[big.pk]) == 2
    assert narrower[late.pk] == [(child.pk, child.name, child.slug)]


def test_snapshot_refresh_removes_snapshots_no_longer_large(world):
    facets.refresh_snapshots(min_articles=2)
    assert FacetSnapshot.objects.exists()
    report = facets.refresh_snapshots(min_articles=1000)
    assert report.snapshots == 0 and not FacetSnapshot.objects.exists()


# --------------------------------------------------------------------------- queries


@override_settings(SEARCH_CACHE_SECONDS=0)  # the work itself (cached answers: tests/test_caching.py)
def _count_queries(query, **kwargs):
    search(query, now=NOW, **kwargs)  # warm per-process caches
    with CaptureQueriesContext(connection) as context:
        result = search(query, now=NOW, **kwargs)
    return len(context.captured_queries), result


def test_query_count_does_not_grow_with_results(world):
    few, result = _count_queries("semaglutide")
    assert result.count == 1
    for day in range(30):
        links = [(world.sema, {}), (world.obesity, {})]
        story(f"Semaglutide {day}", "semaglutide and obesity", days_ago=day + 30, links=links)
    many, result = _count_queries("semaglutide")
    assert result.count == 31 and len(result.hits) == 20
    assert few == many == 8  # the drug's own name: no text rank; ranked within the counts statement


def test_query_count_for_condition_and_text_queries(world):
    condition, _ = _count_queries("hair loss")
    # + narrower conditions (1), + text rank ("hair loss" is another name; SQLite first asks how common it is)
    assert condition == (10 if connection.vendor == "postgresql" else 11)
    text, _ = _count_queries("Zelvitra")
    assert text == 6  # resolve, counts (with the ranked first rows), copies, page (articles, links), facet labels


@override_settings(SEARCH_CACHE_SECONDS=0)  # the work itself; cached, a query is the content stamp
def test_empty_and_junk_queries_touch_nothing(world, django_assert_num_queries):
    for junk in ["", "   ", "?!…", "😀😀", "*", '" OR 1=1 --', "NEAR("]:
        with django_assert_num_queries(1 if parse(junk).tokens else 0):
            result = search(junk)
        assert result.count == 0 and result.hits == []


def test_plan_reads_link_tables_only_for_entity_queries(world):
    sql, _ = retrieval.hits_sql(build_plan(resolve(parse("Jakafi"))))
    assert "articles_articledrug" in sql and "modelsearch" in sql  # its links, and its names in the text


# --------------------------------------------------------------------------- work caps


def test_a_very_large_entity_result_is_capped_until_a_snapshot_counts_it(world, monkeypatch):
    monkeypatch.setattr(retrieval, "LINK_CAP", 2)  # "hair loss" reads Alopecia and its narrower conditions
    capped = search("hair loss", now=NOW)
    assert capped.count_capped and capped.count == capped.rows == len(capped.hits) < 5
    facets.refresh_snapshots(min_articles=1)  # counted ahead, without the cap
    whole = search("hair loss", now=NOW)
    assert not whole.count_capped and whole.count == 4 and whole.facets_as_of is not None
    assert {f.label: f.count for f in whole.facets["condition"]} == {"Alopecia Areata": 3, "Alopecia": 1}
    assert whole.rows == capped.rows  # still only the newest are ranked and paged


def test_a_common_word_ranks_only_the_most_recently_indexed(world, monkeypatch):
    monkeypatch.setattr(retrieval, "TEXT_CAP", 2)
    result = search("people", now=NOW)
    assert result.count_capped and result.count == 2
    newest = sorted((world.heart_story, world.jakafi_story, world.copy_story, world.wegovy_story), key=lambda a: a.pk)
    assert {h.article for h in result.hits} == set(newest[-2:])
    monkeypatch.setattr(retrieval, "TEXT_CAP", 100)
    caches["search"].clear()  # a work cap is not part of a cached answer's key
    assert not search("people", now=NOW).count_capped


# --------------------------------------------------------------------------- drug classes


def test_a_class_query_includes_its_member_drugs_and_says_so(world):
    pills = DrugClass.objects.create(name="Kinase blockers", slug="kinase-blockers")
    narrower = DrugClass.objects.create(name="Hair kinase blockers", slug="hair-kinase-blockers", parent=pills)
    narrowest = DrugClass.objects.create(name="Scalp kinase blockers", slug="scalp-kinase-blockers", parent=narrower)
    DrugClassAlias.objects.create(drug_class=pills, text="kinase blocker drugs", kind=AliasKind.LAY)
    DrugClassMember.objects.create(drug_class=pills, drug=world.rux)
    DrugClassMember.objects.create(drug_class=narrowest, drug=world.bari)  # two levels below
    about_class = story("Kinase blockers in review", "Kinase blockers are a growing family.", days_ago=4)
    ArticleDrugClass.objects.create(article=about_class, drug_class=pills, status="confirmed", mention_count=1)
    services.sync_link_dates(article_ids=[about_class.pk])
    result = search("kinase blocker drugs", now=NOW)
    found = set(slugs(result))
    assert {about_class.slug, world.jakafi_story.slug, world.olumiant_story.slug} <= found
    assert world.heart_story.slug not in found
    olumiant = next(h for h in result.hits if h.article == world.olumiant_story)
    assert "one of the Kinase blockers" in olumiant.why and "Baricitinib" in olumiant.why


def test_a_class_query_includes_stories_naming_a_narrower_class_and_says_so(world):
    pills = DrugClass.objects.create(name="Kinase blockers", slug="kinase-blockers")
    narrower = DrugClass.objects.create(name="Hair kinase blockers", slug="hair-kinase-blockers", parent=pills)
    narrowest = DrugClass.objects.create(name="Scalp kinase blockers", slug="scalp-kinase-blockers", parent=narrower)
    for drug_class in (pills, narrowest):
        DrugClassAlias.objects.create(drug_class=drug_class, text=drug_class.name, kind=AliasKind.NAME)
    about_class = story("Kinase blockers in review", "Kinase blockers are a growing family.", days_ago=4)
    about_narrowest = story("Scalp treatments", "Scalp kinase blockers regrew hair in a trial.", days_ago=2)
    for article, drug_class in ((about_class, pills), (about_narrowest, narrowest)):
        ArticleDrugClass.objects.create(article=article, drug_class=drug_class, status="confirmed", mention_count=1)
    services.sync_link_dates(article_ids=[about_class.pk, about_narrowest.pk])
    result = search("kinase blockers", now=NOW)
    assert slugs(result) == [about_class.slug, about_narrowest.slug]  # the class itself first
    why = result.hits[1].why
    assert "Mentions Scalp kinase blockers once in the text, a kind of Kinase blockers" in why
    # The narrower class asked for does not bring in the broader one's stories.
    assert slugs(search("scalp kinase blockers", now=NOW)) == [about_narrowest.slug]


def test_words_only_query_ranks_by_the_rare_words_and_a_common_word_excludes_nothing(db):
    both = story("Mammogram worth it", "Is a mammogram worth it? The mammogram study says so.", days_ago=5)
    rare = story("Mammogram screening", "The mammogram finds tumours early.", days_ago=1)
    common = [story(f"Worth a try {n}", "This diet is worth a try.", days_ago=1) for n in range(2)]
    for n in range(6):
        story(f"Gardening {n}", "Tomatoes and beans grow well.", days_ago=3)
    result = search("is a mammogram worth it", now=NOW)
    assert slugs(result)[:2] == [both.slug, rare.slug]  # the rarer word before the commoner one
    assert set(slugs(result)[2:]) == {article.slug for article in common}
    assert result.hits[1].missing == ["worth"]


def test_a_word_most_stories_hold_does_not_pull_them_all_in(db):
    quit_story = story("Quit smoking with patches", "Patches help smokers quit smoking.", days_ago=1)
    best = story("The best way to quit smoking", "The best way to quit smoking, the best advice.", days_ago=2)
    for n in range(5):
        story(f"The best diet {n}", "The best diet is the one you keep.", days_ago=3)
    result = search("best way to quit smoking", now=NOW)
    assert set(slugs(result)) == {quit_story.slug, best.slug}  # "best": 6 of 7 stories
    assert slugs(result)[0] == best.slug


def test_a_story_naming_the_entity_in_its_lead_ranks_above_one_citing_it_further_down(world):
    filler = "The weather was mild and the markets were calm that week. " * 30  # ~1,700 characters
    link = [(world.columbia, {})]  # confirmed, one mention, not in the title
    about = story("A campus study", "Columbia University researchers ran the trial. " + filler, days_ago=30, links=link)
    cites = story("A diet study", filler + "An expert at Columbia University commented.", days_ago=1, links=link)
    order = slugs(search("Columbia University", now=NOW, page_size=100))
    assert order.index(about.slug) < order.index(cites.slug)  # though the other is newer
